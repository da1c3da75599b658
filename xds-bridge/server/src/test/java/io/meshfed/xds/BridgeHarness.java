package io.meshfed.xds;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.McpTranslator;
import io.meshfed.xds.protocol.AdsListener;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.ClusterIdentifier;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A bridge on a loopback port: cache, ADS server and a way to publish catalogs. */
public final class BridgeHarness implements AutoCloseable {
    public static final String DOMAIN = "xds.meshfed.example";

    public final Vertx vertx = Vertx.vertx();
    public final SnapshotCache cache = new SnapshotCache();
    public final XdsMetrics metrics = new XdsMetrics();
    public final ConnectedClients clients = new ConnectedClients();
    public final AdsServer server = new AdsServer(cache, new ClusterIdentifier(DOMAIN), metrics, clients);
    private final EnvoyTranslator envoy = new EnvoyTranslator(EnvoyPolicy.DEFAULT);
    private final McpTranslator mcp;
    private final AdsListener listener;

    /** The port is served on two event loops, as a deployed bridge serves it on several. */
    public BridgeHarness(McpTranslator mcp) throws Exception {
        this.mcp = mcp;
        this.listener = AdsListener.listen(vertx, server, new HttpServerOptions().setHost("127.0.0.1").setPort(0), 2)
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public int port() {
        return listener.port();
    }

    public void publish(ClusterCatalog... catalogs) {
        cache.publish(new FederationSnapshot(List.of(catalogs), envoy, mcp, Fixtures.T0));
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
