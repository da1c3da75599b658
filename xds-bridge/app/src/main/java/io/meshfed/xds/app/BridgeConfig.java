package io.meshfed.xds.app;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/** The bridge's settings ({@code meshfed.*} in application.properties or the environment). */
@ConfigMapping(prefix = "meshfed")
public interface BridgeConfig {
    /** Namespace of the management cluster that holds MeshCluster resources and catalogs. */
    @WithDefault("meshfed")
    String namespace();

    Xds xds();

    /** What the CloudEvent metrics every meshfed Funqy app shares (funqy-host) are labelled with. */
    Metrics metrics();

    interface Metrics {
        /** The {@code function} label of {@code meshfed_events_total} and {@code meshfed_event_seconds}. */
        Optional<String> function();
    }

    interface Xds {
        /** ADS port (gRPC, HTTP/2). 0 picks a free one. */
        @WithDefault("15010")
        int port();

        @WithDefault("0.0.0.0")
        String host();

        /** Event loops that serve the ADS port (connections are spread over them); default one per CPU. */
        OptionalInt eventLoops();

        /** Every cluster's istiod dials {@code <cluster>.<hostDomain>}; the host name tells the cluster. */
        @WithDefault("xds.meshfed.example")
        String hostDomain();

        /**
         * The most xDS streams one cluster identity may hold open; the stream beyond it ends with RESOURCE_EXHAUSTED.
         */
        @WithDefault("1000")
        int maxStreamsPerCluster();

        /**
         * Whether the bridge watches MeshClusters and catalogs ({@link StoreWatch}): off only where no Kubernetes API
         * serves the stores.
         */
        @WithDefault("true")
        boolean watchStores();

        /**
         * Whether the bridge keeps the {@code IstiodConnected} condition on each MeshCluster's status (needs
         * {@link #watchStores()}, and {@code patch} on {@code meshclusters/status}).
         */
        @WithDefault("true")
        boolean istiodCondition();

        /** This replica's name in the {@code IstiodConnected} condition's message: the pod's name. */
        @WithDefault("${HOSTNAME:meshfed-xds-bridge}")
        String replica();

        /** How often the watch re-reads every cluster even without a change (the informers' resync). */
        @WithDefault("10m")
        Duration watchResync();

        /** How often stale catalogs are judged again without any event. */
        @WithDefault("30s")
        Duration republishInterval();

        Tls tls();

        Standby standby();
    }

    /**
     * Standing by: every replica keeps each registered cluster's configuration built (its istiod's, and the Envoy
     * groups of its gateways) whether or not its clients are connected here, rebuilt on every change, so clients
     * that move from a replica that went away are answered from what is ready instead of every cluster being
     * translated cold at once. It costs each replica the memory of serving every cluster.
     */
    interface Standby {
        @WithDefault("true")
        boolean enabled();

        /**
         * How many {@code xds://} config sources each istiod splits meshfed's resources over (its mesh config,
         * docs/xds-bridge.md "Sharded config sources"): their shares are prepared; 1 prepares the whole state.
         */
        @WithDefault("1")
        int istiodConfigSources();
    }

    /**
     * Mutual TLS on the ADS port. Without it the port speaks plaintext h2c and serves loopback clients only (local
     * mode, an xDS relay in the same pod); with it every client must present a certificate that chains to
     * {@code client-ca-file} and names its cluster.
     */
    interface Tls {
        /** PEM server certificate chain; TLS is on when set, and then key-file and client-ca-file are required. */
        Optional<String> certFile();

        Optional<String> keyFile();

        /** PEM bundle of meshfed's root(s): the CAs every client certificate must chain to. */
        Optional<String> clientCaFile();
    }
}
