package io.meshfed.export;

import io.meshfed.model.CatalogChanged;
import io.meshfed.model.CatalogHash;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.ExportedService;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.CatalogStore;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.ConcurrentChangeException;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.CatalogStatus;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps each registered cluster's catalog in step with what its API server exports.
 *
 * <p>Events are hints, state is read: every entry point re-reads the registered cluster and the stored catalog,
 * then the workload cluster itself, and writes only what differs. So duplicated, late and reordered events are
 * harmless: a sync always writes the present, never what an event carried.
 *
 * <p>Invariants kept here:
 * <ul>
 * <li>A write happens only when the catalog's content hash changed, or its staleness did. An unchanged read
 * writes nothing and announces nothing (so {@code lastGoodRead} is the last read that was <em>written</em>).</li>
 * <li>Versions only grow: each write is a compare-and-set on the version read before the remote read. When
 * another writer got in between, the whole sync is redone, remote read included, so an older remote read can
 * never overwrite a newer one.</li>
 * <li>A failed remote read never removes services: the last catalog is kept and marked stale since the first
 * failure. Applying a grace period to stale catalogs is the translator's job, not this class's.</li>
 * <li>A catalog is removed only when its cluster is no longer registered.</li>
 * </ul>
 *
 * <p>Thread-safe if its collaborators are; it holds no mutable state.
 */
public final class CatalogSync {
    private static final Logger LOG = Logger.getLogger(CatalogSync.class.getName());

    /** How often a sync is redone after losing a compare-and-set race before giving up. */
    static final int MAX_ATTEMPTS = 3;

    private final ClusterStore clusters;
    private final CatalogStore catalogs;
    private final WorkloadClusterReader reader;
    private final Clock clock;
    private final ClusterStatusWriter status;

    public CatalogSync(ClusterStore clusters, CatalogStore catalogs, WorkloadClusterReader reader, Clock clock) {
        this(clusters, catalogs, reader, clock, ClusterStatusWriter.NONE);
    }

    /**
     * @param status where each sync of a registered cluster reports {@link ClusterStatusWriter#CATALOG_SYNCED} and the
     *     last good read; a failed status write is logged and the sync stands
     */
    public CatalogSync(ClusterStore clusters, CatalogStore catalogs, WorkloadClusterReader reader, Clock clock,
            ClusterStatusWriter status) {
        this.status = Objects.requireNonNull(status, "status");
        this.clusters = Objects.requireNonNull(clusters, "clusters");
        this.catalogs = Objects.requireNonNull(catalogs, "catalogs");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Reads the cluster and stores its catalog if anything changed. A cluster that is no longer registered but
     * still has a catalog (its deregistration event was lost) has that catalog removed.
     *
     * @throws UnknownClusterException when the cluster is neither registered nor has a catalog
     * @throws ConcurrentChangeException when other writers kept winning the race {@value #MAX_ATTEMPTS} times
     */
    public SyncResult sync(String clusterName) {
        ConcurrentChangeException lost = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                return syncOnce(clusterName);
            } catch (ConcurrentChangeException e) {
                LOG.log(Level.FINE, "catalog of {0} changed under sync attempt {1}; redoing", new Object[] {clusterName, attempt});
                lost = e;
            }
        }
        throw new ConcurrentChangeException("catalog of " + clusterName + " kept changing during " + MAX_ATTEMPTS
                + " sync attempts", lost);
    }

    /**
     * A cluster was registered or its registration changed. The stored registration is what counts: the event's
     * copy of the cluster is not used, so a registration event that arrives after a newer change (or after the
     * deregistration) cannot resurrect old state.
     */
    public SyncResult registered(String clusterName, long generation) {
        clusters.get(clusterName).ifPresent(stored -> {
            if (stored.generation() < generation) {
                LOG.log(Level.INFO, "cluster {0}: event generation {1} is newer than the stored generation {2}; "
                        + "syncing the stored one", new Object[] {clusterName, generation, stored.generation()});
            }
        });
        return sync(clusterName);
    }

    /**
     * A cluster was deregistered: remove its catalog and announce the removal. If the cluster is registered again
     * by now, the event is stale and nothing happens; if the catalog is already gone, nothing happens either.
     */
    public SyncResult deregistered(String clusterName) {
        if (clusters.get(clusterName).isPresent()) {
            LOG.log(Level.INFO, "cluster {0} is registered again; ignoring its earlier deregistration", clusterName);
            return new SyncResult.Unchanged(clusterName);
        }
        return catalogs.get(clusterName).map(this::remove).orElse(new SyncResult.Unchanged(clusterName));
    }

    private SyncResult syncOnce(String name) {
        Optional<ClusterStore.StoredCluster> registered = clusters.get(name);
        Optional<ClusterCatalog> current = catalogs.get(name);
        if (registered.isEmpty()) {
            if (current.isPresent()) {
                LOG.log(Level.INFO, "cluster {0} is not registered but still has a catalog; removing it", name);
                return remove(current.get());
            }
            throw new UnknownClusterException(name, "cluster '" + name + "' is not registered");
        }
        MeshCluster cluster = registered.get().cluster();
        Instant now = clock.instant();

        List<ExportedService> services;
        Instant readAt;
        if (cluster.hasApiAccess()) {
            try {
                ClusterCredentials credentials = clusters.credentials(name).orElseThrow(() -> new RemoteReadException(
                        FailureReason.NO_CREDENTIALS, "no credentials are stored for cluster '" + name + "'", null));
                ExportDiscovery.Discovery discovery =
                        ExportDiscovery.discover(reader.read(cluster, credentials), cluster.locality());
                discovery.skipped().forEach(reason -> LOG.log(Level.WARNING, "cluster {0}: not exported: {1}",
                        new Object[] {name, reason}));
                services = discovery.services();
                readAt = now;
            } catch (RemoteReadException e) {
                return failed(cluster, current, e, now);
            }
        } else {
            // Registered without API access: it consumes federated config and exports nothing.
            services = List.of();
            readAt = null;
        }

        MeshCluster federated = cluster.federated();
        String hash = CatalogHash.of(federated, services);
        if (current.isPresent() && current.get().contentHash().equals(hash) && !current.get().isStale()) {
            reportSynced(cluster, services.size(), now);
            return new SyncResult.Unchanged(name);
        }
        long expected = current.map(ClusterCatalog::version).orElse(0L);
        ClusterCatalog next = new ClusterCatalog(federated, services, expected + 1, hash, readAt, null);
        catalogs.put(next, expected);
        reportSynced(cluster, services.size(), now);
        return new SyncResult.Changed(new CatalogChanged(name, next.version(), next.contentHash(), false));
    }

    /**
     * Keeps the last catalog, marked stale since the first failure. Written only when that changes something: the
     * first failure, or a registration change (new gateway, say) while the cluster cannot be read; the services
     * are then carried over as last known.
     */
    private SyncResult failed(MeshCluster cluster, Optional<ClusterCatalog> current, RemoteReadException e,
            Instant now) {
        String name = cluster.name();
        LOG.log(Level.WARNING, "cluster {0}: cannot read its API server ({1}): {2}",
                new Object[] {name, e.reason().wireName(), e.getMessage()});
        if (current.isEmpty()) {
            reportFailed(name, e, Optional.empty());
            return new SyncResult.Failed(new ExportFailed(name, e.reason(), e.getMessage(), null, null, 0));
        }
        ClusterCatalog kept = current.get();
        MeshCluster federated = cluster.federated();
        boolean clusterChanged = !kept.cluster().equals(federated);
        if (!kept.isStale() || clusterChanged) {
            Instant staleSince = kept.isStale() ? kept.staleSince() : now;
            ClusterCatalog stale = new ClusterCatalog(federated, kept.services(), kept.version() + 1, null,
                    kept.lastGoodRead(), staleSince);
            catalogs.put(stale, kept.version());
            kept = stale;
        }
        reportFailed(name, e, Optional.of(kept));
        return new SyncResult.Failed(new ExportFailed(name, e.reason(), e.getMessage(), kept.staleSince(),
                kept.lastGoodRead(), kept.version()));
    }

    private void reportSynced(MeshCluster cluster, int services, Instant now) {
        Condition synced = cluster.hasApiAccess()
                ? new Condition(ClusterStatusWriter.CATALOG_SYNCED, ConditionStatus.TRUE, "Synced",
                        services + " exported services read")
                : new Condition(ClusterStatusWriter.CATALOG_SYNCED, ConditionStatus.TRUE, "NoApiAccess",
                        "registered without API access: consumes federated config, exports nothing");
        report(cluster.name(), new Report(List.of(synced), List.of(),
                Optional.of(new CatalogStatus(now, services)), Optional.empty()));
    }

    /** The time of the last good sync stays: a failure does not make the services any newer. */
    private void reportFailed(String name, RemoteReadException e, Optional<ClusterCatalog> kept) {
        String staleness = kept.map(k -> "; serving the catalog read at " + k.lastGoodRead() + ", stale since "
                + k.staleSince()).orElse("; nothing exported yet");
        report(name, new Report(List.of(new Condition(ClusterStatusWriter.CATALOG_SYNCED, ConditionStatus.FALSE,
                ClusterStatusWriter.reasonOf(e.reason().wireName()), e.getMessage() + staleness)),
                List.of(ClusterStatusWriter.CATALOG_FIELD), Optional.empty(), Optional.empty()));
    }

    private void report(String cluster, Report report) {
        try {
            status.report(cluster, report);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cluster {0}: synced, but its status was not written: {1}",
                    new Object[] {cluster, e.toString()});
        }
    }

    private SyncResult remove(ClusterCatalog catalog) {
        if (!catalogs.delete(catalog.clusterName())) {
            return new SyncResult.Unchanged(catalog.clusterName());
        }
        return new SyncResult.Changed(
                new CatalogChanged(catalog.clusterName(), catalog.version(), catalog.contentHash(), true));
    }
}
