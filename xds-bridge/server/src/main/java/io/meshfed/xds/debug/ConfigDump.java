package io.meshfed.xds.debug;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of the bridge's {@code GET /debug/config_dump} (docs/xds-bridge.md), served by the bridge app and by
 * local mode: every connected client, per type what it subscribes to, was sent and ACKed, its last NACK and
 * the names and versions of the resources its node group holds ({@code withResources} adds each body as
 * JSON); given a cluster, also what the bridge serves that cluster's istiod and its gateways in the cluster's own
 * locality ({@code served}), whether or not any of its clients is connected. Thread-safe.
 */
public final class ConfigDump {
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);
    private static final TypeRegistry TYPES = TypeRegistry.newBuilder()
            .add(io.meshfed.xds.mcp.proto.networking.ServiceEntry.getDescriptor())
            .add(io.meshfed.xds.mcp.proto.networking.DestinationRule.getDescriptor())
            .add(io.meshfed.xds.mcp.proto.networking.Gateway.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.filters.http.router.v3.Router.getDescriptor())
            .add(io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.getDescriptor())
            .build();

    private final ConnectedClients clients;
    private final SnapshotCache cache;
    private final XdsMetrics metrics;

    public ConfigDump(ConnectedClients clients, SnapshotCache cache, XdsMetrics metrics) {
        this.clients = clients;
        this.cache = cache;
        this.metrics = metrics;
    }

    public String render(boolean withResources) {
        return render(withResources, null);
    }

    /** As {@link #render(boolean)}, with {@code served} for {@code servedCluster} when it is not null. */
    public String render(boolean withResources, String servedCluster) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ClientStatus c : clients.all()) {
            Map<String, Object> client = new LinkedHashMap<>();
            client.put("stream", c.streamId());
            client.put("protocol", c.protocol());
            client.put("node", c.nodeId());
            client.put("cluster", c.cluster());
            client.put("group", c.group());
            client.put("connectedAt", c.connectedAt());
            int at = c.group().indexOf('@');
            NodeGroup group = at < 0 ? NodeGroup.of(c.group())
                    : new NodeGroup(c.group().substring(0, at), c.group().substring(at + 1));
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
                type.put("awaitingAnswer", t.awaitingAnswer());
                type.put("heldVersion", t.heldVersion());
                Snapshot snapshot = cache.snapshot(group.forType(t.typeUrl()));
                if (snapshot != null) {
                    type.put("resources", resources(snapshot.resources(t.typeUrl()), withResources));
                }
                types.add(type);
            }
            client.put("types", types);
            out.add(client);
        }
        Map<String, Object> dump = new LinkedHashMap<>();
        dump.put("clients", out);
        if (servedCluster != null) {
            dump.put("served", served(servedCluster, withResources));
        }
        dump.put("metrics", metrics.asMap());
        try {
            return JSON.writeValueAsString(dump);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the config dump always serializes", e);
        }
    }

    /** Per node group of the cluster (its istiod's, its own locality's gateways'), per type, the resources. */
    private List<Map<String, Object>> served(String cluster, boolean withResources) {
        List<Map<String, Object>> groups = new ArrayList<>();
        for (NodeGroup group : List.of(NodeGroup.istio(cluster), NodeGroup.of(cluster))) {
            Snapshot snapshot = cache.preview(group);
            if (snapshot == null) {
                continue;
            }
            List<Map<String, Object>> types = new ArrayList<>();
            snapshot.types().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(t -> {
                Map<String, Object> type = new LinkedHashMap<>();
                type.put("typeUrl", t.getKey());
                type.put("resources", resources(t.getValue(), withResources));
                types.add(type);
            });
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("group", group.toString());
            entry.put("kind", group.kind().name().toLowerCase(java.util.Locale.ROOT));
            entry.put("types", types);
            groups.add(entry);
        }
        return groups;
    }

    private static List<Map<String, Object>> resources(TypeSnapshot ts, boolean withBodies) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Resource r : ts.resources().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("version", r.version());
            if (withBodies) {
                try {
                    m.put("json", JsonFormat.printer().usingTypeRegistry(TYPES).print(r.message()));
                } catch (InvalidProtocolBufferException e) {
                    m.put("json", "unprintable: " + e.getMessage());
                }
            }
            out.add(m);
        }
        return out;
    }
}
