package io.meshfed.xds;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.McpTranslator;
import io.meshfed.xds.protocol.AdsListener;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.AdsTls;
import io.meshfed.xds.protocol.ClusterIdentifier;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A bridge on a port (loopback plaintext unless told otherwise): cache, ADS server and a way to publish catalogs. */
public final class BridgeHarness implements AutoCloseable {
    public static final String DOMAIN = "xds.meshfed.example";

    public final Vertx vertx = Vertx.vertx();
    public final SnapshotCache cache = new SnapshotCache();
    public final XdsMetrics metrics = new XdsMetrics();
    public final ConnectedClients clients = new ConnectedClients();
    public final AdsServer server;
    private final EnvoyTranslator envoy = new EnvoyTranslator(EnvoyPolicy.DEFAULT);
    private final McpTranslator mcp;
    private final AdsListener listener;

    /** The port is served on two event loops, as a deployed bridge serves it on several. */
    public BridgeHarness(McpTranslator mcp) throws Exception {
        this(mcp, AdsServer.DEFAULT_MAX_STREAMS_PER_CLUSTER);
    }

    public BridgeHarness(McpTranslator mcp, int maxStreamsPerCluster) throws Exception {
        this(mcp, maxStreamsPerCluster, "127.0.0.1", null);
    }

    /**
     * @param host the address to listen on
     * @param tls mutual TLS on the port, null for plaintext h2c
     */
    public BridgeHarness(McpTranslator mcp, int maxStreamsPerCluster, String host, AdsTls tls) throws Exception {
        this.mcp = mcp;
        this.server = new AdsServer(cache, tls == null ? new ClusterIdentifier(DOMAIN)
                : new ClusterIdentifier(DOMAIN, tls.clientCas()), metrics, clients, maxStreamsPerCluster);
        HttpServerOptions options = new HttpServerOptions().setHost(host).setPort(0);
        this.listener = AdsListener.listen(vertx, server, tls == null ? options : tls.applyTo(options), 2)
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public int port() {
        return listener.port();
    }

    public void publish(ClusterCatalog... catalogs) {
        cache.publish(new FederationSnapshot(List.of(catalogs), envoy, mcp, Fixtures.T0));
    }

    /** Waits up to 5 s for node {@code node} to be connected as cluster {@code cluster}; false when it is not. */
    public boolean waitForClient(String node, String cluster) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (clients.all().stream().anyMatch(c -> c.nodeId().equals(node) && c.cluster().equals(cluster))) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
