package io.meshfed.xds.bridge;

import com.google.protobuf.Message;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.Locality;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.SnapshotSource;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.McpTranslator;
import java.lang.ref.WeakReference;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One generation of the federation: every registered cluster's catalog at one instant, and the translations that
 * turn it into a node group's resources (an Envoy group's from {@link EnvoyTranslator}, an Istio group's over MCP
 * from {@link McpTranslator}; without an MCP translator Istio groups are empty). Immutable apart from memos
 * (per-cluster MCP results, the change set from the previous generation); {@link #resources} and
 * {@link #changesSince} are pure and thread-safe.
 *
 * <p>Changes from the previous generation: the exported services whose content or staleness changed (by
 * "namespace/name") are re-translated for the group, and the names they had are removed where they no longer
 * exist; MCP types are compared per target cluster. A changed cluster record, or a cluster added or removed,
 * makes every group build whole.
 *
 * <p>Node groups ({@link #groupFor}): an Envoy node's locality only orders endpoint priorities, by its distance
 * to the locality of each endpoint (same zone, same region, elsewhere; see {@link EnvoyTranslator}). Every
 * locality an endpoint can have is one this generation knows: a registered cluster's (its gateway) or an
 * exported endpoint's. A node in a known locality gets that locality's group. A node in any other locality is at
 * the same distance from every known locality as one stand-in: the bare region when it is a known region (a
 * different zone of that region, when the bare region is itself known), or a region nobody uses; it is served
 * by the stand-in's group, whose resources are exactly its own. A locality the translator cannot parse is
 * served as the cluster's own, as the translator does. So a cluster has at most (known localities + known
 * regions + 2) Envoy groups, whatever clients write.
 */
public final class FederationSnapshot implements SnapshotSource {
    private final Map<String, ClusterCatalog> catalogs;
    private final EnvoyTranslator envoy;
    private final EnvoyTranslator.Index index;
    private final McpTranslator mcp;
    private final Instant now;
    /** Every locality an endpoint of this generation can be placed in, and their regions. */
    private final Set<Locality> localities;
    private final Set<String> regions;
    /** MCP resources depend only on the cluster: translated once per cluster per generation. */
    private final Map<String, Once<McpTranslator.McpResources>> mcpByCluster = new ConcurrentHashMap<>();
    /** MCP changes from the previous generation, per cluster. */
    private final Map<String, Once<Changes>> mcpChanges = new ConcurrentHashMap<>();

    /**
     * A value computed at most once, by the first caller, while other callers of the same key wait. Long
     * computations must not run inside {@link ConcurrentHashMap#computeIfAbsent}: they hold a bin of the map,
     * and a resize of the map then waits for every one of them.
     */
    private static final class Once<V> {
        private V value;

        synchronized V get(java.util.function.Supplier<V> compute) {
            if (value == null) {
                value = compute.get();
            }
            return value;
        }

        synchronized V peek() {
            return value;
        }
    }
    /** The generation {@link #serviceChanges} was computed against (weakly: generations must not chain). */
    private WeakReference<FederationSnapshot> changesBase = new WeakReference<>(null);
    // @GuardedBy("this")
    private ServiceChanges serviceChanges;

    /** Exported services that changed, and the Envoy resource names they had, by type. */
    private record ServiceChanges(Set<String> keys, Map<String, Set<String>> oldNames) {
    }

    public FederationSnapshot(Collection<ClusterCatalog> catalogs, EnvoyTranslator envoy, McpTranslator mcp, Instant now) {
        Map<String, ClusterCatalog> byName = new TreeMap<>();
        for (ClusterCatalog c : catalogs) {
            if (byName.put(c.clusterName(), c) != null) {
                throw new IllegalArgumentException("two catalogs for cluster '" + c.clusterName() + "'");
            }
        }
        this.catalogs = Map.copyOf(byName);
        this.envoy = envoy;
        this.index = new EnvoyTranslator.Index(byName.values());
        this.mcp = mcp;
        this.now = now;
        Set<Locality> known = new HashSet<>();
        for (ClusterCatalog c : byName.values()) {
            known.add(c.cluster().locality());
            for (ExportedService s : c.services()) {
                for (ServiceEndpoint e : s.endpoints()) {
                    known.add(e.locality());
                }
            }
        }
        this.localities = Set.copyOf(known);
        Set<String> r = new HashSet<>();
        known.forEach(l -> r.add(l.region()));
        this.regions = Set.copyOf(r);
    }

    @Override
    public Set<String> clusters() {
        return catalogs.keySet();
    }

    @Override
    public NodeGroup groupFor(NodeGroup requested) {
        if (requested.kind() != NodeGroup.Kind.ENVOY || requested.locality().isEmpty()) {
            return requested;
        }
        Locality node = parseLocality(requested.locality());
        if (node == null) {
            return NodeGroup.of(requested.cluster());
        }
        if (localities.contains(node)) {
            return new NodeGroup(requested.cluster(), node.toString());
        }
        Locality standIn;
        if (!regions.contains(node.region())) {
            standIn = Locality.of(unused("unknown", regions::contains));
        } else if (!localities.contains(Locality.of(node.region()))) {
            standIn = Locality.of(node.region());
        } else {
            standIn = new Locality(node.region(), unused("unknown", z -> localities.contains(new Locality(node.region(), z))));
        }
        return new NodeGroup(requested.cluster(), standIn.toString());
    }

    /** The node locality {@link EnvoyTranslator} reads from a group's locality; null where it uses the cluster's. */
    private static Locality parseLocality(String s) {
        String[] parts = s.split("/", -1);
        try {
            return new Locality(parts[0], parts.length > 1 ? parts[1] : null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** {@code base}, or {@code base-2}, {@code base-3}, ..., the first not taken. */
    private static String unused(String base, java.util.function.Predicate<String> taken) {
        String name = base;
        for (int i = 2; taken.test(name); i++) {
            name = base + "-" + i;
        }
        return name;
    }

    public List<ClusterCatalog> catalogs() {
        return List.copyOf(new TreeMap<>(catalogs).values());
    }

    @Override
    public Map<String, Map<String, Message>> resources(NodeGroup group) {
        if (group.kind() == NodeGroup.Kind.ISTIO) {
            return mcp == null ? Map.of() : mcp(group.cluster()).byType();
        }
        return envoy.translate(index, group, now, null);
    }

    /**
     * Per registered cluster: its istiod's group (when MCP is served), and the Envoy groups of a client that sends
     * no locality and of one that sends the cluster's own (a gateway of that cluster).
     */
    @Override
    public Set<NodeGroup> standbyGroups() {
        Set<NodeGroup> groups = new java.util.LinkedHashSet<>();
        for (ClusterCatalog c : catalogs.values()) {
            if (mcp != null) {
                groups.add(NodeGroup.istio(c.clusterName()));
            }
            groups.add(NodeGroup.of(c.clusterName()));
            groups.add(groupFor(new NodeGroup(c.clusterName(), c.cluster().locality().toString())));
        }
        return groups;
    }

    private McpTranslator.McpResources mcp(String cluster) {
        return mcpByCluster.computeIfAbsent(cluster, c -> new Once<>())
                .get(() -> mcp.translate(catalogs.values(), cluster, now));
    }

    @Override
    public Changes changesSince(SnapshotSource previous, NodeGroup group) {
        if (!(previous instanceof FederationSnapshot p) || p.envoy != envoy || p.mcp != mcp) {
            return null;
        }
        if (group.kind() == NodeGroup.Kind.ISTIO) {
            return mcp == null ? new Changes(Map.of(), Map.of()) : mcpChanges(p, group.cluster());
        }
        ServiceChanges services = serviceChanges(p);
        if (services == null) {
            return null;
        }
        Map<String, Map<String, Message>> put = new HashMap<>();
        Map<String, Set<String>> removed = new HashMap<>();
        if (!services.keys().isEmpty()) {
            Map<String, Map<String, Message>> translated = envoy.translate(index, group, now, services.keys());
            for (String type : TypeUrls.ENVOY_ORDER) {
                Map<String, Message> fresh = translated.getOrDefault(type, Map.of());
                Set<String> gone = new HashSet<>(services.oldNames().getOrDefault(type, Set.of()));
                gone.removeAll(fresh.keySet());
                put.put(type, fresh);
                removed.put(type, gone);
            }
        }
        return new Changes(put, removed);
    }

    private synchronized ServiceChanges serviceChanges(FederationSnapshot p) {
        if (changesBase.get() == p) {
            return serviceChanges;
        }
        serviceChanges = computeServiceChanges(p);
        changesBase = new WeakReference<>(p);
        return serviceChanges;
    }

    /** Null when a cluster came, went or changed its record: then every group is built whole. */
    private ServiceChanges computeServiceChanges(FederationSnapshot p) {
        if (!p.catalogs.keySet().equals(catalogs.keySet())) {
            return null;
        }
        Set<String> keys = new HashSet<>();
        for (ClusterCatalog b : catalogs.values()) {
            ClusterCatalog a = p.catalogs.get(b.clusterName());
            if (!a.cluster().equals(b.cluster())) {
                return null;
            }
            boolean staleBefore = a.staleBeyond(envoy.policy().staleGrace(), p.now);
            boolean staleNow = b.staleBeyond(envoy.policy().staleGrace(), now);
            if (staleBefore != staleNow) {
                a.services().forEach(s -> keys.add(s.key()));
                b.services().forEach(s -> keys.add(s.key()));
            } else if (!a.contentHash().equals(b.contentHash())) {
                Map<String, ExportedService> before = new HashMap<>();
                a.services().forEach(s -> before.put(s.key(), s));
                for (ExportedService s : b.services()) {
                    if (!s.equals(before.remove(s.key()))) {
                        keys.add(s.key());
                    }
                }
                keys.addAll(before.keySet());
            }
        }
        Map<String, Set<String>> oldNames = new HashMap<>();
        for (String key : keys) {
            p.index.names(key).forEach((type, names) -> oldNames.computeIfAbsent(type, t -> new HashSet<>()).addAll(names));
        }
        return new ServiceChanges(Set.copyOf(keys), oldNames);
    }

    /** Null when the previous generation has no MCP result for the cluster. */
    private Changes mcpChanges(FederationSnapshot p, String cluster) {
        Once<McpTranslator.McpResources> translated = p.mcpByCluster.get(cluster);
        McpTranslator.McpResources before = translated == null ? null : translated.peek();
        if (before == null) {
            return null;
        }
        return mcpChanges.computeIfAbsent(cluster, c -> new Once<>()).get(() -> {
            McpTranslator.McpResources after = mcp(cluster);
            // the translator's own changes when they are relative to exactly what the previous generation had
            return after.changes() != null && after.base() == before.serial()
                    ? after.changes() : diff(before.byType(), after.byType());
        });
    }

    private static Changes diff(Map<String, Map<String, Message>> before, Map<String, Map<String, Message>> after) {
        Map<String, Map<String, Message>> put = new HashMap<>();
        Map<String, Set<String>> removed = new HashMap<>();
        Set<String> types = new HashSet<>(before.keySet());
        types.addAll(after.keySet());
        for (String type : types) {
            Map<String, Message> a = before.getOrDefault(type, Map.of());
            Map<String, Message> b = after.getOrDefault(type, Map.of());
            Map<String, Message> changed = new HashMap<>();
            b.forEach((name, m) -> {
                Message old = a.get(name);
                if (old != m && !Objects.equals(old, m)) {
                    changed.put(name, m);
                }
            });
            Set<String> gone = new HashSet<>(a.keySet());
            gone.removeAll(b.keySet());
            if (!changed.isEmpty()) {
                put.put(type, changed);
            }
            if (!gone.isEmpty()) {
                removed.put(type, gone);
            }
        }
        return new Changes(put, removed);
    }
}
