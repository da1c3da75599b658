package io.meshfed.xds.protocol;

/**
 * What the ADS streams tell whoever exports their metrics or reports their clients (the app's Micrometer meters and
 * the {@code IstiodConnected} condition): streams of a known cluster opening and closing, responses sent, ACKs and
 * NACKs. The protocol layer knows nothing of how they are exported.
 *
 * <p>Calls come on the streams' event loops: an implementation must be thread-safe and must not block. Type URLs are
 * those the client asked with ({@code type.googleapis.com/envoy.config.cluster.v3.Cluster},
 * {@code networking.istio.io/v1/ServiceEntry}); {@link #typeName} gives the bounded short name.
 */
public interface AdsObserver {

    /** Which kind of client holds a stream, from what it asked for first and its node. */
    enum ClientKind {
        /** Reads Istio types over MCP-over-xDS: an istiod (or its relay). */
        ISTIOD("istiod"),
        /** Reads Envoy types and is no gRPC library: an Envoy gateway or sidecar. */
        ENVOY("envoy"),
        /** Reads Envoy types and names a gRPC library as its user agent: a proxyless gRPC client. */
        GRPC("grpc");

        private final String label;

        ClientKind(String label) {
            this.label = label;
        }

        /** As metrics label it. */
        public String label() {
            return label;
        }

        /**
         * The kind of a client whose first request asked for {@code typeUrl}: Istio types are istiod's; a node whose
         * {@code user_agent_name} names gRPC ({@code gRPC Java}, {@code gRPC Go}) is a proxyless gRPC client;
         * every other Envoy-type client is an Envoy.
         */
        public static ClientKind of(String typeUrl, io.envoyproxy.envoy.config.core.v3.Node node) {
            if (io.meshfed.xds.cache.NodeGroup.Kind.of(typeUrl) == io.meshfed.xds.cache.NodeGroup.Kind.ISTIO) {
                return ISTIOD;
            }
            String agent = node == null ? "" : node.getUserAgentName();
            return agent.toLowerCase(java.util.Locale.ROOT).startsWith("grpc") ? GRPC : ENVOY;
        }
    }

    /** Observes nothing. */
    AdsObserver NONE = new AdsObserver() {
    };

    /**
     * A stream of {@code cluster} is served: its first watch opened. Paired with exactly one
     * {@link #streamClosed} of the same cluster and kind; a stream refused before (unknown cluster, bad request,
     * over its cluster's cap) is neither.
     */
    default void streamOpened(String cluster, ClientKind kind) {
    }

    /** A stream {@link #streamOpened} announced ended, however it ended. */
    default void streamClosed(String cluster, ClientKind kind) {
    }

    /** A response of {@code bytes} encoded bytes was handed to the stream's connection. */
    default void responseSent(String cluster, ClientKind kind, String typeUrl, int bytes) {
    }

    /**
     * The client answered a response: an ACK ({@code accepted}) or a NACK, {@code nanos} after that response was
     * sent. Each response is answered at most once.
     */
    default void answered(String cluster, ClientKind kind, String typeUrl, boolean accepted, long nanos) {
    }

    /**
     * The short, bounded name of a type URL for a label: an Envoy type's message name ({@code Cluster},
     * {@code ClusterLoadAssignment}, {@code Listener}, {@code RouteConfiguration}), an Istio type's Kind
     * ({@code ServiceEntry}, {@code MeshConfig}).
     */
    static String typeName(String typeUrl) {
        if (typeUrl.startsWith(io.meshfed.xds.cache.TypeUrls.PROTOBUF_PREFIX)) {
            return typeUrl.substring(typeUrl.lastIndexOf('.') + 1);
        }
        return typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
    }
}
