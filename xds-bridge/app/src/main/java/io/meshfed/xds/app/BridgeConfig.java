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

        /** How often stale catalogs are judged again without any event. */
        @WithDefault("30s")
        Duration republishInterval();

        Tls tls();
    }

    interface Tls {
        /** PEM server certificate chain; TLS is on when set. */
        Optional<String> certFile();

        Optional<String> keyFile();

        /** PEM CA bundle that client certificates must chain to; client certificates are requested when set. */
        Optional<String> clientCaFile();
    }
}
