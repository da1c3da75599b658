package io.meshfed.xds.protocol;

import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.netty.util.NetUtil;
import io.vertx.grpc.common.GrpcStatus;
import java.net.InetAddress;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Tells which mesh cluster a client belongs to, from credentials someone else verified first.
 *
 * <p>Two steps, in this order. {@link #authenticate} runs when a stream opens, before any request is read: over
 * TLS the client certificate (the TLS handshake already verified it against meshfed's roots) must be a leaf for TLS
 * clients (CA:false, clientAuth when it has an extended key usage), issued directly by a client CA, and name exactly
 * one cluster with a DNS SAN {@code <cluster>.<domain>}; plaintext is accepted only from a loopback address (local
 * mode, tests, and the xDS relay that runs beside istiod). {@link #identify} runs on the first request: a certified
 * cluster is the cluster, and node metadata {@code CLUSTER_ID} and an {@code :authority} {@code <cluster>.<domain>}
 * may only agree with it. On loopback plaintext the client's claims are all there is: {@code CLUSTER_ID}, else the
 * {@code :authority} host (istiod's config-source client sends no cluster identity, so each cluster's istiod dials
 * {@code <cluster>.<domain>}).
 *
 * <p>Every refusal is an {@link XdsStatusException} whose status says which kind it is: UNAUTHENTICATED (no
 * credential: plaintext from another host, no or an unreadable client certificate), PERMISSION_DENIED (a
 * credential that does not give the cluster: a certificate naming none or several, a claim that contradicts it),
 * FAILED_PRECONDITION (loopback plaintext naming no cluster). Immutable and thread-safe.
 */
public final class ClusterIdentifier {
    public static final String CLUSTER_ID = "CLUSTER_ID";

    private final String domainSuffix;
    private final List<X509Certificate> clientCas;

    /** For a bridge without TLS (loopback clients only). */
    public ClusterIdentifier(String domain) {
        this(domain, List.of());
    }

    /**
     * @param domain the domain every per-cluster host name ends with, e.g. {@code xds.meshfed.example}
     * @param clientCas the CAs of {@link AdsTls#clientCaFile}: a client certificate must be issued by one of them
     *     directly. A certificate issued further down (by a CA under one of them, such as a cluster's intermediate
     *     CA when the mesh root is among them: it holds no constraint on DNS names) could name any cluster.
     */
    public ClusterIdentifier(String domain, List<X509Certificate> clientCas) {
        this.domainSuffix = "." + domain.toLowerCase(Locale.ROOT);
        this.clientCas = List.copyOf(clientCas);
    }

    /**
     * Checks the transport a stream arrived on.
     *
     * @param tls the TLS session, null on plaintext
     * @param remoteAddress the IP address the connection came from (a literal), null when unknown
     * @throws XdsStatusException UNAUTHENTICATED or PERMISSION_DENIED, as the class comment lists
     */
    public PeerIdentity authenticate(SSLSession tls, String remoteAddress) {
        if (tls == null) {
            if (!isLoopback(remoteAddress)) {
                throw new XdsStatusException(GrpcStatus.UNAUTHENTICATED, "plaintext xDS is accepted only from"
                        + " loopback (local mode); " + (remoteAddress == null ? "this client" : remoteAddress)
                        + " must connect with TLS and a client certificate naming its cluster");
            }
            return new PeerIdentity.Loopback(remoteAddress);
        }
        X509Certificate leaf = leafCertificate(tls);
        requireIssuedByAClientCa(leaf);
        requireClientLeaf(leaf);
        return new PeerIdentity.Certified(clusterOfCertificate(leaf));
    }

    /**
     * The client's cluster, from what {@link #authenticate} proved and what the first request claims.
     *
     * @param authority the HTTP/2 {@code :authority} host (no port), may be null
     * @throws XdsStatusException PERMISSION_DENIED when a claim contradicts the certificate, FAILED_PRECONDITION
     *     when nothing names a cluster
     */
    public String identify(Node node, String authority, PeerIdentity peer) {
        Optional<String> fromMetadata = clusterIdOf(node);
        Optional<String> fromAuthority = clusterOf(authority);
        if (peer instanceof PeerIdentity.Certified certified) {
            String cluster = certified.cluster();
            if (fromMetadata.isPresent() && !fromMetadata.get().equals(cluster)) {
                throw new XdsStatusException(GrpcStatus.PERMISSION_DENIED, "node metadata CLUSTER_ID '"
                        + fromMetadata.get() + "' does not match the client certificate's cluster '" + cluster + "'");
            }
            if (fromAuthority.isPresent() && !fromAuthority.get().equals(cluster)) {
                throw new XdsStatusException(GrpcStatus.PERMISSION_DENIED, ":authority '" + authority
                        + "' names cluster '" + fromAuthority.get() + "', which does not match the client certificate's"
                        + " cluster '" + cluster + "'");
            }
            return cluster;
        }
        if (fromMetadata.isPresent()) {
            return fromMetadata.get();
        }
        if (fromAuthority.isPresent()) {
            return fromAuthority.get();
        }
        throw new XdsStatusException(GrpcStatus.FAILED_PRECONDITION, "cannot tell which cluster node '" + node.getId()
                + "' belongs to: dial <cluster>" + domainSuffix + " (dialed '" + authority
                + "'), or send node metadata CLUSTER_ID");
    }

    private static Optional<String> clusterIdOf(Node node) {
        Value explicit = node.getMetadata().getFieldsMap().get(CLUSTER_ID);
        return explicit == null || explicit.getStringValue().isBlank()
                ? Optional.empty() : Optional.of(explicit.getStringValue());
    }

    Optional<String> clusterOf(String host) {
        if (host == null) {
            return Optional.empty();
        }
        String h = hostOf(host).toLowerCase(Locale.ROOT);
        if (h.endsWith(domainSuffix)) {
            String label = h.substring(0, h.length() - domainSuffix.length());
            if (!label.isEmpty() && label.indexOf('.') < 0) {
                return Optional.of(label);
            }
        }
        return Optional.empty();
    }

    /** {@code authority} without its port ({@code host:port}; an IPv6 literal, with several colons, as it is). */
    static String hostOf(String authority) {
        int colon = authority.lastIndexOf(':');
        return colon > 0 && authority.indexOf(':') == colon ? authority.substring(0, colon) : authority;
    }

    /** True only for a loopback IP literal; a host name is never resolved here. */
    static boolean isLoopback(String address) {
        if (address == null) {
            return false;
        }
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(address);
        return ip != null && ip.isLoopbackAddress();
    }

    private X509Certificate leafCertificate(SSLSession tls) {
        Certificate[] chain;
        try {
            chain = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            chain = new Certificate[0];
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            throw new XdsStatusException(GrpcStatus.UNAUTHENTICATED, "a client certificate is required: present one"
                    + " issued by meshfed whose DNS name is <cluster>" + domainSuffix);
        }
        return leaf;
    }

    private void requireIssuedByAClientCa(X509Certificate leaf) {
        if (clientCas.isEmpty()) {
            return;
        }
        for (X509Certificate ca : clientCas) {
            if (ca.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                try {
                    leaf.verify(ca.getPublicKey());
                    return;
                } catch (java.security.GeneralSecurityException e) {
                    // another CA of the same name: try the next
                }
            }
        }
        throw new XdsStatusException(GrpcStatus.PERMISSION_DENIED, "the client certificate '"
                + leaf.getSubjectX500Principal().getName() + "' is issued by '" + leaf.getIssuerX500Principal().getName()
                + "', not directly by one of the bridge's client CAs: a certificate from a CA below them (a cluster's"
                + " intermediate CA) cannot name a cluster to the bridge");
    }

    /**
     * A client certificate is a leaf meant for TLS clients: a CA certificate naming a cluster could mint more, and
     * one whose extended key usage leaves out clientAuth was issued for something else (a server).
     */
    private static void requireClientLeaf(X509Certificate leaf) {
        if (leaf.getBasicConstraints() >= 0) {
            throw new XdsStatusException(GrpcStatus.PERMISSION_DENIED, "the client certificate '"
                    + leaf.getSubjectX500Principal().getName() + "' is a CA certificate; present a leaf (CA:false)");
        }
        try {
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages != null && !usages.contains(CLIENT_AUTH) && !usages.contains(ANY_EXTENDED_KEY_USAGE)) {
                throw new XdsStatusException(GrpcStatus.PERMISSION_DENIED, "the client certificate '"
                        + leaf.getSubjectX500Principal().getName() + "' is not for TLS clients (extended key usage "
                        + usages + " lacks clientAuth " + CLIENT_AUTH + ")");
            }
        } catch (CertificateParsingException e) {
            throw new XdsStatusException(GrpcStatus.UNAUTHENTICATED, "unreadable client certificate: " + e.getMessage());
        }
    }

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

    private String clusterOfCertificate(X509Certificate leaf) {
        Set<String> clusters = new TreeSet<>();
        try {
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        clusterOf(String.valueOf(san.get(1))).ifPresent(clusters::add);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new XdsStatusException(GrpcStatus.UNAUTHENTICATED, "unreadable client certificate: " + e.getMessage());
        }
        if (clusters.size() != 1) {
            throw new XdsStatusException(GrpcStatus.PERMISSION_DENIED, "the client certificate '"
                    + leaf.getSubjectX500Principal().getName() + "' must name exactly one cluster with a DNS name"
                    + " <cluster>" + domainSuffix + ", it names " + (clusters.isEmpty() ? "none" : clusters));
        }
        return clusters.iterator().next();
    }
}
