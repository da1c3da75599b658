package io.meshfed.xds.bridge;

import com.google.protobuf.Message;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.SnapshotSource;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.McpTranslator;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One generation of the federation: every registered cluster's catalog at one instant, and the translations that
 * turn it into a node group's resources (Envoy types from {@link EnvoyTranslator}, Istio types over MCP from
 * {@link McpTranslator}). Immutable apart from a memo of per-cluster MCP results; {@link #resources} is pure and
 * thread-safe.
 */
public final class FederationSnapshot implements SnapshotSource {
    private final Map<String, ClusterCatalog> catalogs;
    private final EnvoyTranslator envoy;
    private final McpTranslator mcp;
    private final Instant now;
    /** MCP resources depend only on the cluster: translated once per cluster per generation. */
    private final Map<String, Map<String, Map<String, Message>>> mcpByCluster = new ConcurrentHashMap<>();

    public FederationSnapshot(Collection<ClusterCatalog> catalogs, EnvoyTranslator envoy, McpTranslator mcp, Instant now) {
        Map<String, ClusterCatalog> byName = new TreeMap<>();
        for (ClusterCatalog c : catalogs) {
            if (byName.put(c.clusterName(), c) != null) {
                throw new IllegalArgumentException("two catalogs for cluster '" + c.clusterName() + "'");
            }
        }
        this.catalogs = Map.copyOf(byName);
        this.envoy = envoy;
        this.mcp = mcp;
        this.now = now;
    }

    @Override
    public Set<String> clusters() {
        return catalogs.keySet();
    }

    public List<ClusterCatalog> catalogs() {
        return List.copyOf(new TreeMap<>(catalogs).values());
    }

    @Override
    public Map<String, Map<String, Message>> resources(NodeGroup group) {
        Map<String, Map<String, Message>> out = new LinkedHashMap<>(envoy.translate(catalogs.values(), group, now));
        if (mcp != null) {
            out.putAll(mcpByCluster.computeIfAbsent(group.cluster(), c -> mcp.translate(catalogs.values(), c, now)));
        }
        return out;
    }
}
