package io.meshfed.pki.signing;

import java.time.Duration;
import java.util.Set;

/**
 * The limits a CSR is checked against.
 *
 * @param maxLifetime the longest intermediate lifetime a cluster may get (default one year)
 * @param maxCsrChars the largest CSR text accepted (default 64 KiB; a P-256 CSR is under 1 KiB)
 * @param allowedDnsNames the DNS SANs an intermediate may carry (Istio's needs only istiod's service name)
 */
public record SigningPolicy(Duration maxLifetime, int maxCsrChars, Set<String> allowedDnsNames) {
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofDays(365);
    public static final int DEFAULT_MAX_CSR_CHARS = 64 * 1024;
    public static final String ISTIOD_DNS_NAME = "istiod.istio-system.svc";

    public SigningPolicy {
        if (maxLifetime == null || maxLifetime.isNegative() || maxLifetime.isZero()) {
            throw new IllegalArgumentException("maxLifetime must be positive, got " + maxLifetime);
        }
        if (maxCsrChars < 256) {
            throw new IllegalArgumentException("maxCsrChars must be at least 256, got " + maxCsrChars);
        }
        allowedDnsNames = Set.copyOf(allowedDnsNames);
    }

    public static SigningPolicy defaults() {
        return new SigningPolicy(DEFAULT_MAX_LIFETIME, DEFAULT_MAX_CSR_CHARS, Set.of(ISTIOD_DNS_NAME));
    }

    public SigningPolicy withMaxLifetime(Duration lifetime) {
        return new SigningPolicy(lifetime, maxCsrChars, allowedDnsNames);
    }
}
