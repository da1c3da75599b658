package io.meshfed.xds.protocol;

/**
 * What the transport proved about a client, before it sent anything: the cluster a verified client certificate
 * names, or that it connected over plaintext from this host. Made only by {@link ClusterIdentifier#authenticate}.
 */
public sealed interface PeerIdentity {
    /** Mutual TLS: the handshake verified the certificate against the configured roots, and it names {@code cluster}. */
    record Certified(String cluster) implements PeerIdentity {
    }

    /**
     * Plaintext from a loopback address (local mode, tests, a relay beside the client): nothing is proven, and the
     * client's own claims ({@code CLUSTER_ID}, {@code :authority}) name its cluster.
     */
    record Loopback(String address) implements PeerIdentity {
    }
}
