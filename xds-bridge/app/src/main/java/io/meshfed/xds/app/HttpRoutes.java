package io.meshfed.xds.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshfed.model.BadEventException;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.debug.ConfigDump;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Diagnostics and the one place input errors become HTTP answers.
 *
 * <ul>
 *   <li>{@code GET /debug/config_dump}: every connected client, per type what it subscribes to, the version and
 *       nonce it was last sent, the last version it ACKed and its last NACK, with the names and versions of the
 *       resources its node group holds; {@code ?resources=true} adds each resource as JSON.</li>
 *   <li>{@code GET /debug/metrics}: the ADS counters in Prometheus text format.</li>
 *   <li>a {@link BadEventException} anywhere in event handling, or JSON that does not parse, is answered 400
 *       (a body above 256 KiB 413) with
 *       {@code {"field": ..., "message": ...}}, the body every meshfed entry point uses (docs/events.md).</li>
 * </ul>
 */
public class HttpRoutes {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ConnectedClients clients;
    @Inject
    SnapshotCache cache;
    @Inject
    XdsMetrics metrics;

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(this::failure);
        router.get("/debug/config_dump").blockingHandler(this::configDump);
        router.get("/debug/metrics").handler(this::metrics);
    }

    private void failure(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            refuse(ctx, 413, "body", "the event is larger than the 256 KiB maximum");
            return;
        }
        for (Throwable t = ctx.failure(); t != null; t = t.getCause()) {
            if (t instanceof BadEventException bad) {
                refuse(ctx, 400, bad.field(), bad.problem());
                return;
            }
            if (t instanceof com.fasterxml.jackson.core.JsonParseException parse) {
                String contentType = String.valueOf(ctx.request().getHeader("content-type"));
                refuse(ctx, 400, contentType.startsWith("application/cloudevents") ? "event" : "data",
                        "is not valid JSON: " + parse.getOriginalMessage());
                return;
            }
        }
        ctx.next();
    }

    private static void refuse(RoutingContext ctx, int status, String field, String message) {
        ctx.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end("{\"field\":" + quote(field) + ",\"message\":" + quote(message) + "}");
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void configDump(RoutingContext ctx) {
        boolean withResources = "true".equals(ctx.request().getParam("resources"));
        ctx.response().putHeader("content-type", "application/json")
                .end(new ConfigDump(clients, cache, metrics).render(withResources));
    }

    private void metrics(RoutingContext ctx) {
        StringBuilder sb = new StringBuilder();
        metrics.asMap().forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        ctx.response().putHeader("content-type", "text/plain; version=0.0.4").end(sb.toString());
    }
}
