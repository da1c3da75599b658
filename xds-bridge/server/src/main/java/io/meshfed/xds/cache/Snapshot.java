package io.meshfed.xds.cache;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
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
 * ClusterLoadAssignment and every API listener names an existing RouteConfiguration, so a client that follows the
 * references (CDS before EDS, LDS before RDS) never waits for a resource that will not come.
 */
public final class Snapshot {
    public static final Snapshot EMPTY = new Snapshot(Map.of());

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

    /** The resources of a type, by its type URL or type key; empty when the snapshot has none. */
    public TypeSnapshot resources(String typeUrl) {
        return types.getOrDefault(TypeUrls.key(typeUrl), TypeSnapshot.EMPTY);
    }

    public Map<String, TypeSnapshot> types() {
        return new TreeMap<>(types);
    }

    private List<String> inconsistencies() {
        List<String> problems = new ArrayList<>();
        TypeSnapshot endpoints = resources(TypeUrls.ENDPOINT);
        for (Resource r : resources(TypeUrls.CLUSTER).resources().values()) {
            Cluster c = (Cluster) r.message();
            if (c.getType() == Cluster.DiscoveryType.EDS) {
                String eds = c.getEdsClusterConfig().getServiceName().isEmpty()
                        ? c.getName() : c.getEdsClusterConfig().getServiceName();
                if (endpoints.get(eds) == null) {
                    problems.add("cluster '" + c.getName() + "' names ClusterLoadAssignment '" + eds
                            + "', which is not in the snapshot");
                }
            }
        }
        TypeSnapshot routes = resources(TypeUrls.ROUTE);
        for (Resource r : resources(TypeUrls.LISTENER).resources().values()) {
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
