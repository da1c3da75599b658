package io.meshfed.pki.signing;

import io.meshfed.model.Rules;
import java.time.Duration;
import java.util.Set;

/**
 * The limits a CSR is checked against.
 *
 * @param maxLifetime the longest intermediate lifetime a cluster may get (default one year)
 * @param maxCsrChars the largest CSR text accepted (default 64 KiB; a P-256 CSR is under 1 KiB)
 * @param allowedDnsNames the DNS SANs an intermediate may carry (Istio's needs only istiod's service name)
 * @param xdsClientDomain the xDS bridge's host domain: an xDS client certificate names {@code <cluster>.<domain>}
 *     (the bridge's {@code meshfed.xds.host-domain}); null means this PKI issues no xDS client certificates
 * @param xdsClientMaxLifetime the longest xDS client certificate lifetime (default one day: the agent renews it
 *     at two thirds, and a certificate of a removed cluster stops working soon)
 */
public record SigningPolicy(Duration maxLifetime, int maxCsrChars, Set<String> allowedDnsNames,
        String xdsClientDomain, Duration xdsClientMaxLifetime) {
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofDays(365);
    public static final Duration DEFAULT_XDS_CLIENT_MAX_LIFETIME = Duration.ofDays(1);
    public static final int DEFAULT_MAX_CSR_CHARS = 64 * 1024;
    public static final String ISTIOD_DNS_NAME = "istiod.istio-system.svc";
    /** The bridge's default host domain ({@code meshfed.xds.host-domain}). */
    public static final String DEFAULT_XDS_CLIENT_DOMAIN = "xds.meshfed.example";

    public SigningPolicy {
        requirePositive(maxLifetime, "maxLifetime");
        requirePositive(xdsClientMaxLifetime, "xdsClientMaxLifetime");
        if (maxCsrChars < 256) {
            throw new IllegalArgumentException("maxCsrChars must be at least 256, got " + maxCsrChars);
        }
        if (xdsClientDomain != null) {
            String domain = xdsClientDomain;
            Rules.dnsName(domain).ifPresent(p -> {
                throw new IllegalArgumentException("xdsClientDomain '" + domain + "' is not a DNS name: " + p);
            });
        }
        allowedDnsNames = Set.copyOf(allowedDnsNames);
    }

    private static void requirePositive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    public static SigningPolicy defaults() {
        return new SigningPolicy(DEFAULT_MAX_LIFETIME, DEFAULT_MAX_CSR_CHARS, Set.of(ISTIOD_DNS_NAME),
                DEFAULT_XDS_CLIENT_DOMAIN, DEFAULT_XDS_CLIENT_MAX_LIFETIME);
    }

    public SigningPolicy withMaxLifetime(Duration lifetime) {
        return new SigningPolicy(lifetime, maxCsrChars, allowedDnsNames, xdsClientDomain, xdsClientMaxLifetime);
    }

    /** With xDS client certificates for {@code domain} (null: none), at most {@code lifetime} long. */
    public SigningPolicy withXdsClients(String domain, Duration lifetime) {
        return new SigningPolicy(maxLifetime, maxCsrChars, allowedDnsNames, domain, lifetime);
    }

    /** The one DNS name of {@code cluster}'s xDS client certificate. */
    public String xdsClientName(String cluster) {
        return cluster + "." + xdsClientDomain;
    }
}
