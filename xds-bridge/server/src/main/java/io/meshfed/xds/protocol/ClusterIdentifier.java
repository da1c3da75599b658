package io.meshfed.xds.protocol;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.vertx.grpc.common.GrpcStatus;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Tells which mesh cluster a client belongs to.
 *
 * <p>istiod's config-source client sends no cluster identity (its node id is {@code sidecar~ip~pod.ns~ns...} and its
 * metadata at most {@code GENERATOR=api}), so every cluster's istiod dials the bridge under its own host name,
 * {@code <cluster>.<domain>}, and the {@code :authority} names the cluster. Envoy and gRPC clients may say it
 * explicitly with node metadata {@code CLUSTER_ID}. With TLS, a client certificate DNS name {@code <cluster>.<domain>}
 * is the strongest claim: a different {@code CLUSTER_ID} next to it is refused.
 */
public final class ClusterIdentifier {
    public static final String CLUSTER_ID = "CLUSTER_ID";

    private final String domainSuffix;

    /** @param domain the domain every per-cluster host name ends with, e.g. {@code xds.meshfed.example} */
    public ClusterIdentifier(String domain) {
        this.domainSuffix = "." + domain.toLowerCase(Locale.ROOT);
    }

    /**
     * @param authority the HTTP/2 {@code :authority} host (no port), may be null
     * @param tls the TLS session, null on plaintext
     * @throws XdsStatusException when the cluster cannot be told, or two claims disagree
     */
    public String identify(Node node, String authority, SSLSession tls) {
        Optional<String> fromCert = tls == null ? Optional.empty() : fromCertificate(tls);
        Value explicit = node.getMetadata().getFieldsMap().get(CLUSTER_ID);
        Optional<String> fromMetadata = explicit == null || explicit.getStringValue().isBlank()
                ? Optional.empty() : Optional.of(explicit.getStringValue());
        if (fromCert.isPresent()) {
            if (fromMetadata.isPresent() && !fromMetadata.get().equals(fromCert.get())) {
                throw new XdsStatusException(GrpcStatus.PERMISSION_DENIED, "node metadata CLUSTER_ID '"
                        + fromMetadata.get() + "' does not match the client certificate's cluster '" + fromCert.get() + "'");
            }
            return fromCert.get();
        }
        if (fromMetadata.isPresent()) {
            return fromMetadata.get();
        }
        Optional<String> fromAuthority = clusterOf(authority);
        if (fromAuthority.isPresent()) {
            return fromAuthority.get();
        }
        throw new XdsStatusException(GrpcStatus.FAILED_PRECONDITION, "cannot tell which cluster node '" + node.getId()
                + "' belongs to: dial <cluster>" + domainSuffix + " (dialed '" + authority
                + "'), or send node metadata CLUSTER_ID");
    }

    Optional<String> clusterOf(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String h = host.toLowerCase(Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon > 0 && h.indexOf(':') == colon) {
            h = h.substring(0, colon);
        }
        if (h.endsWith(domainSuffix)) {
            String label = h.substring(0, h.length() - domainSuffix.length());
            if (!label.isEmpty() && label.indexOf('.') < 0) {
                return Optional.of(label);
            }
        }
        return Optional.empty();
    }

    private Optional<String> fromCertificate(SSLSession tls) {
        Certificate[] chain;
        try {
            chain = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return Optional.empty();
        }
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add(String.valueOf(san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new XdsStatusException(GrpcStatus.UNAUTHENTICATED, "unreadable client certificate: " + e.getMessage());
        }
        return names.stream().map(this::clusterOf).flatMap(Optional::stream).findFirst();
    }
}
