package io.meshfed.xds.cache;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.clusters.aggregate.v3.ClusterConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable, consistent set of resources for one node group, keyed by {@link TypeUrls#key type key}.
 *
 * <p>Consistency is checked when the snapshot is built: every EDS cluster names an existing
 * ClusterLoadAssignment, every aggregate cluster names existing clusters, and every API listener names an existing
 * RouteConfiguration, so a client that follows the references (CDS before EDS, LDS before RDS) never waits for a
 * resource that will not come.
 */
public final class Snapshot {
    public static final Snapshot EMPTY = new Snapshot(Map.of());
    /** The custom cluster type of Envoy's aggregate cluster, whose config names its member clusters. */
    public static final String AGGREGATE = "envoy.clusters.aggregate";

    private final Map<String, TypeSnapshot> types;

    private Snapshot(Map<String, TypeSnapshot> types) {
        this.types = Map.copyOf(types);
    }

    /** Builds and checks a snapshot. */
    public static Snapshot of(Map<String, TypeSnapshot> byTypeKey) {
        Snapshot s = new Snapshot(byTypeKey);
        List<String> problems = s.inconsistencies();
        if (!problems.isEmpty()) {
            throw new InconsistentSnapshotException(problems);
        }
        return s;
    }

    /**
     * This snapshot with the types in {@code replaced} swapped in, checked like {@link #of}; {@code put} and
     * {@code removed} name, per type key, what changed. Only the changed references are checked unless a
     * ClusterLoadAssignment or RouteConfiguration was removed (then everything is, as something may name it).
     */
    public Snapshot with(Map<String, TypeSnapshot> replaced, Map<String, ? extends java.util.Collection<String>> put,
            Map<String, ? extends java.util.Collection<String>> removed) {
        if (replaced.isEmpty()) {
            return this;
        }
        Map<String, TypeSnapshot> next = new java.util.HashMap<>(types);
        next.putAll(replaced);
        Snapshot s = new Snapshot(next);
        // an aggregate cluster names other clusters: removing one that was here may break an unchanged aggregate
        TypeSnapshot clustersBefore = resources(TypeUrls.CLUSTER);
        boolean whole = !names(removed, TypeUrls.ENDPOINT).isEmpty() || !names(removed, TypeUrls.ROUTE).isEmpty()
                || names(removed, TypeUrls.CLUSTER).stream().anyMatch(n -> clustersBefore.get(n) != null);
        List<String> problems;
        if (whole) {
            problems = s.inconsistencies();
        } else {
            TypeSnapshot clusters = s.resources(TypeUrls.CLUSTER);
            TypeSnapshot listeners = s.resources(TypeUrls.LISTENER);
            List<Resource> changedClusters = new ArrayList<>();
            names(put, TypeUrls.CLUSTER).forEach(n -> addIfPresent(changedClusters, clusters.get(n)));
            List<Resource> changedListeners = new ArrayList<>();
            names(put, TypeUrls.LISTENER).forEach(n -> addIfPresent(changedListeners, listeners.get(n)));
            problems = s.inconsistencies(changedClusters, changedListeners);
        }
        if (!problems.isEmpty()) {
            throw new InconsistentSnapshotException(problems);
        }
        return s;
    }

    private static java.util.Collection<String> names(Map<String, ? extends java.util.Collection<String>> m, String type) {
        java.util.Collection<String> c = m.get(type);
        return c == null ? List.of() : c;
    }

    private static void addIfPresent(List<Resource> into, Resource r) {
        if (r != null) {
            into.add(r);
        }
    }

    /** The resources of a type, by its type URL or type key; empty when the snapshot has none. */
    public TypeSnapshot resources(String typeUrl) {
        return types.getOrDefault(TypeUrls.key(typeUrl), TypeSnapshot.EMPTY);
    }

    public Map<String, TypeSnapshot> types() {
        return new TreeMap<>(types);
    }

    private List<String> inconsistencies() {
        return inconsistencies(resources(TypeUrls.CLUSTER).resources().values(),
                resources(TypeUrls.LISTENER).resources().values());
    }

    private List<String> inconsistencies(java.util.Collection<Resource> clusters, java.util.Collection<Resource> listeners) {
        List<String> problems = new ArrayList<>();
        TypeSnapshot endpoints = resources(TypeUrls.ENDPOINT);
        for (Resource r : clusters) {
            Cluster c = (Cluster) r.message();
            if (c.getType() == Cluster.DiscoveryType.EDS) {
                String eds = c.getEdsClusterConfig().getServiceName().isEmpty()
                        ? c.getName() : c.getEdsClusterConfig().getServiceName();
                if (endpoints.get(eds) == null) {
                    problems.add("cluster '" + c.getName() + "' names ClusterLoadAssignment '" + eds
                            + "', which is not in the snapshot");
                }
            }
            if (c.hasClusterType() && c.getClusterType().getName().equals(AGGREGATE)) {
                TypeSnapshot all = resources(TypeUrls.CLUSTER);
                try {
                    for (String member : c.getClusterType().getTypedConfig().unpack(ClusterConfig.class).getClustersList()) {
                        if (all.get(member) == null) {
                            problems.add("aggregate cluster '" + c.getName() + "' names cluster '" + member
                                    + "', which is not in the snapshot");
                        }
                    }
                } catch (InvalidProtocolBufferException e) {
                    problems.add("aggregate cluster '" + c.getName() + "' has a cluster type config that is not a ClusterConfig");
                }
            }
        }
        TypeSnapshot routes = resources(TypeUrls.ROUTE);
        for (Resource r : listeners) {
            Listener l = (Listener) r.message();
            if (!l.hasApiListener()) {
                continue;
            }
            try {
                HttpConnectionManager hcm = l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
                if (hcm.hasRds() && routes.get(hcm.getRds().getRouteConfigName()) == null) {
                    problems.add("listener '" + l.getName() + "' names RouteConfiguration '"
                            + hcm.getRds().getRouteConfigName() + "', which is not in the snapshot");
                }
            } catch (InvalidProtocolBufferException e) {
                problems.add("listener '" + l.getName() + "' has an API listener that is not an HttpConnectionManager");
            }
        }
        return problems;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && versions().equals(s.versions());
    }

    @Override
    public int hashCode() {
        return versions().hashCode();
    }

    private Map<String, String> versions() {
        Map<String, String> v = new TreeMap<>();
        types.forEach((k, t) -> v.put(k, t.version()));
        return v;
    }
}
