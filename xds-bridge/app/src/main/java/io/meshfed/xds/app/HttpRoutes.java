package io.meshfed.xds.app;

import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.debug.ConfigDump;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Diagnostics. (Refused events are answered by {@code io.meshfed.funqy.EventFailureRoute}, as in every meshfed
 * function, with the body docs/events.md documents; metrics are Micrometer's at {@code GET /metrics}:
 * {@link BridgeMetrics}, {@link ClusterGauges}.)
 *
 * <ul>
 *   <li>{@code GET /debug/config_dump}: every connected client, per type what it subscribes to, the version and
 *       nonce it was last sent, the last version it ACKed and its last NACK, with the names and versions of the
 *       resources its node group holds; {@code ?resources=true} adds each resource as JSON; {@code ?cluster=X}
 *       adds what the bridge serves X's istiod and gateways ({@code served}), whether or not they are connected.</li>
 * </ul>
 */
public class HttpRoutes {
    @Inject
    ConnectedClients clients;
    @Inject
    SnapshotCache cache;
    @Inject
    XdsMetrics metrics;

    void install(@Observes Router router) {
        router.get("/debug/config_dump").blockingHandler(this::configDump);
    }

    private void configDump(RoutingContext ctx) {
        boolean withResources = "true".equals(ctx.request().getParam("resources"));
        ctx.response().putHeader("content-type", "application/json")
                .end(new ConfigDump(clients, cache, metrics).render(withResources, ctx.request().getParam("cluster")));
    }
}
