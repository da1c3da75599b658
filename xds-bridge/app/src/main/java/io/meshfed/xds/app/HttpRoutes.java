package io.meshfed.xds.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.Resource;
import io.meshfed.xds.cache.Snapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.TypeSnapshot;
import io.meshfed.xds.protocol.ClientStatus;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Diagnostics and the one place input errors become HTTP answers.
 *
 * <ul>
 *   <li>{@code GET /debug/config_dump}: every connected client, per type what it subscribes to, the version and
 *       nonce it was last sent, the last version it ACKed and its last NACK, with the names and versions of the
 *       resources its node group holds; {@code ?resources=true} adds each resource as JSON.</li>
 *   <li>{@code GET /debug/metrics}: the ADS counters in Prometheus text format.</li>
 *   <li>a {@link BadEventException} anywhere in event handling is answered 400 with the field and problem.</li>
 * </ul>
 */
public class HttpRoutes {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

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
        for (Throwable t = ctx.failure(); t != null; t = t.getCause()) {
            if (t instanceof BadEventException bad) {
                ctx.response().setStatusCode(400).putHeader("content-type", "application/json")
                        .end("{\"field\":" + quote(bad.field()) + ",\"problem\":" + quote(bad.problem()) + "}");
                return;
            }
        }
        ctx.next();
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
        List<Map<String, Object>> out = new ArrayList<>();
        for (ClientStatus c : clients.all()) {
            Map<String, Object> client = new LinkedHashMap<>();
            client.put("stream", c.streamId());
            client.put("protocol", c.protocol());
            client.put("node", c.nodeId());
            client.put("cluster", c.cluster());
            client.put("group", c.group());
            client.put("connectedAt", c.connectedAt());
            Snapshot snapshot = cache.snapshot(group(c.group()));
            List<Map<String, Object>> types = new ArrayList<>();
            for (ClientStatus.TypeStatus t : c.types().values()) {
                Map<String, Object> type = new LinkedHashMap<>();
                type.put("typeUrl", t.typeUrl());
                type.put("wildcard", t.wildcard());
                type.put("subscribedNames", t.subscribedNames());
                type.put("sentVersion", t.sentVersion());
                type.put("sentNonce", t.sentNonce());
                type.put("sentResources", t.sentResources());
                type.put("ackedVersion", t.ackedVersion());
                type.put("lastNack", t.lastNack());
                if (snapshot != null) {
                    type.put("resources", resources(snapshot.resources(t.typeUrl()), withResources));
                }
                types.add(type);
            }
            client.put("types", types);
            out.add(client);
        }
        try {
            ctx.response().putHeader("content-type", "application/json")
                    .end(JSON.writeValueAsString(Map.of("clients", out, "metrics", metrics.asMap())));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            ctx.fail(e);
        }
    }

    private static NodeGroup group(String text) {
        int at = text.indexOf('@');
        return at < 0 ? NodeGroup.of(text) : new NodeGroup(text.substring(0, at), text.substring(at + 1));
    }

    private static List<Map<String, Object>> resources(TypeSnapshot ts, boolean withBodies) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Resource r : ts.resources().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("version", r.version());
            if (withBodies) {
                try {
                    m.put("json", JsonFormat.printer().usingTypeRegistry(typeRegistry()).print(r.message()));
                } catch (InvalidProtocolBufferException e) {
                    m.put("json", "unprintable: " + e.getMessage());
                }
            }
            out.add(m);
        }
        return out;
    }

    private static TypeRegistry typeRegistry() {
        return TypeRegistry.newBuilder()
                .add(io.meshfed.xds.mcp.proto.networking.ServiceEntry.getDescriptor())
                .add(io.meshfed.xds.mcp.proto.networking.DestinationRule.getDescriptor())
                .add(io.meshfed.xds.mcp.proto.networking.Gateway.getDescriptor())
                .add(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor())
                .add(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor())
                .add(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor())
                .build();
    }

    private void metrics(RoutingContext ctx) {
        StringBuilder sb = new StringBuilder();
        metrics.asMap().forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        ctx.response().putHeader("content-type", "text/plain; version=0.0.4").end(sb.toString());
    }
}
