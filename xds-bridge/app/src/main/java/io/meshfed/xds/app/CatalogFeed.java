package io.meshfed.xds.app;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.CatalogStore;
import io.meshfed.store.ClusterStore;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.McpTranslator;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jboss.logging.Logger;

/**
 * Keeps the bridge's view of the federation in step with the management cluster and publishes it.
 *
 * <p>Events are hints, state is read: {@link #refresh} re-reads one cluster's registration and catalog from the
 * stores whatever the event said, so duplicates, reordering and lost events are harmless, and {@link #loadAll}
 * rebuilds everything from the stores (at start, so a restart loses nothing). A registered cluster without a
 * catalog yet is served with no services of its own; a catalog whose cluster is no longer registered is ignored.
 * Every change is published as a new {@link FederationSnapshot}; the cache pushes only to clients whose resources
 * changed.
 *
 * <p>Thread-safety: all methods are synchronized; publishing happens under the same lock, in call order.
 */
public final class CatalogFeed {
    private static final Logger LOG = Logger.getLogger(CatalogFeed.class);

    private final ClusterStore clusters;
    private final CatalogStore catalogs;
    private final SnapshotCache cache;
    private final EnvoyTranslator envoy;
    private final McpTranslator mcp;
    private final Clock clock;
    private final Map<String, ClusterCatalog> current = new TreeMap<>();

    public CatalogFeed(ClusterStore clusters, CatalogStore catalogs, SnapshotCache cache, EnvoyTranslator envoy,
            McpTranslator mcp, Clock clock) {
        this.clusters = clusters;
        this.catalogs = catalogs;
        this.cache = cache;
        this.envoy = envoy;
        this.mcp = mcp;
        this.clock = clock;
    }

    /** Reads every registered cluster and every catalog, and publishes. */
    public synchronized void loadAll() {
        Map<String, ClusterCatalog> stored = new TreeMap<>();
        for (ClusterCatalog c : catalogs.list()) {
            stored.put(c.clusterName(), c);
        }
        current.clear();
        for (ClusterStore.StoredCluster registered : clusters.list()) {
            current.put(registered.cluster().name(), merge(registered.cluster(),
                    Optional.ofNullable(stored.get(registered.cluster().name()))));
        }
        LOG.infof("loaded %d registered clusters (%d catalogs)", current.size(), stored.size());
        publish();
    }

    /** Re-reads one cluster (registration and catalog) and publishes if anything changed. */
    public synchronized void refresh(String cluster) {
        Optional<ClusterStore.StoredCluster> registered = clusters.get(cluster);
        ClusterCatalog next = registered.map(r -> merge(r.cluster(), catalogs.get(cluster))).orElse(null);
        ClusterCatalog previous = next == null ? current.remove(cluster) : current.put(cluster, next);
        if (java.util.Objects.equals(previous, next)) {
            LOG.debugf("cluster %s: nothing changed", cluster);
            return;
        }
        LOG.infof("cluster %s: %s", cluster, next == null ? "deregistered" : "catalog version " + next.version());
        publish();
    }

    /** Publishes the current state again, so catalogs that went stale past their grace period are judged anew. */
    public synchronized void republish() {
        publish();
    }

    public synchronized List<ClusterCatalog> catalogs() {
        return List.copyOf(current.values());
    }

    /**
     * The catalog as served: its services with the cluster as registered now, as the federation sees it (no API
     * server: how meshfed reaches a cluster is nothing istiod or Envoy is told, and moving it changes nothing here).
     */
    private static ClusterCatalog merge(MeshCluster registration, Optional<ClusterCatalog> catalog) {
        MeshCluster registered = registration.federated();
        if (catalog.isEmpty()) {
            return new ClusterCatalog(registered, List.of(), 0, null, null, null);
        }
        ClusterCatalog c = catalog.get();
        return c.cluster().equals(registered) ? c
                : new ClusterCatalog(registered, c.services(), c.version(), null, c.lastGoodRead(), c.staleSince());
    }

    private void publish() {
        cache.publish(new FederationSnapshot(current.values(), envoy, mcp, clock.instant()));
    }
}
