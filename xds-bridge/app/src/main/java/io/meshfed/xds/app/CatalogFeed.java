package io.meshfed.xds.app;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.federation.FederationState;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.policy.PolicyConfig;
import io.meshfed.policy.PolicySet;
import io.meshfed.policy.PolicyTranslator;
import io.meshfed.store.PolicyStore;
import io.meshfed.store.CatalogStore;
import io.meshfed.store.ClusterStore;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.McpTranslator;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
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
 * <p>Policies ({@link PolicyStore}, optional): {@link #refreshPolicies} re-reads every TrafficPolicy and AccessPolicy;
 * while any is stored, each publish translates them for every cluster ({@link PolicyTranslator}, over that cluster's
 * federation config, kept incrementally by a {@link FederationState} per cluster), lays the result over the MCP resources ({@link PolicyMcpTranslator}) and records each
 * policy's per-cluster status in the store (a stored policy the model refuses gets state Invalid).
 *
 * <p>Thread-safety: all methods are synchronized; publishing happens under the same lock, in call order.
 */
public final class CatalogFeed {
    private static final Logger LOG = Logger.getLogger(CatalogFeed.class);
    private static final AttributeKey<Long> CLUSTERS = AttributeKey.longKey("meshfed.clusters");
    private static final AttributeKey<Long> POLICIES = AttributeKey.longKey("meshfed.policies");
    private static final AttributeKey<Boolean> CHANGED = AttributeKey.booleanKey("meshfed.changed");

    private final ClusterStore clusters;
    private final CatalogStore catalogs;
    private final SnapshotCache cache;
    private final EnvoyTranslator envoy;
    private final McpTranslator mcp;
    private final Clock clock;
    private final Map<String, ClusterCatalog> current = new TreeMap<>();
    private final PolicyStore policyStore;
    private final IstioFederationTranslator federation;
    /** Per registered cluster, federation's config kept incrementally for the policies to merge with. */
    private final Map<String, FederationState> policyBases = new java.util.HashMap<>();
    private final PolicyTranslator policyTranslator = new PolicyTranslator();
    private PolicyStore.Stored policies = PolicyStore.Stored.EMPTY;
    /** The policy output of the last publish, by cluster (empty without policies). */
    private Map<String, PolicyConfig> policyConfigs = Map.of();
    private final Tracer tracer;

    public CatalogFeed(ClusterStore clusters, CatalogStore catalogs, SnapshotCache cache, EnvoyTranslator envoy,
            McpTranslator mcp, Clock clock) {
        this(clusters, catalogs, cache, envoy, mcp, clock, null, null);
    }

    /**
     * @param policyStore where the fleet's policies are; null for none
     * @param federation the translator whose output the policies merge with (the one {@code mcp} wraps)
     */
    public CatalogFeed(ClusterStore clusters, CatalogStore catalogs, SnapshotCache cache, EnvoyTranslator envoy,
            McpTranslator mcp, Clock clock, PolicyStore policyStore, IstioFederationTranslator federation) {
        this(clusters, catalogs, cache, envoy, mcp, clock, policyStore, federation,
                OpenTelemetry.noop().getTracer("meshfed-xds-bridge"));
    }

    /**
     * @param tracer makes the {@code xds publish} span of every publish, a child of the current span (the handling
     *     of the event that caused it, when one did)
     */
    public CatalogFeed(ClusterStore clusters, CatalogStore catalogs, SnapshotCache cache, EnvoyTranslator envoy,
            McpTranslator mcp, Clock clock, PolicyStore policyStore, IstioFederationTranslator federation,
            Tracer tracer) {
        this.tracer = tracer;
        this.clusters = clusters;
        this.catalogs = catalogs;
        this.cache = cache;
        this.envoy = envoy;
        this.mcp = mcp;
        this.clock = clock;
        this.policyStore = policyStore;
        this.federation = federation;
        if (policyStore != null && federation == null) {
            throw new IllegalArgumentException("policies need the federation translator they merge with");
        }
    }

    /** Re-reads every policy and publishes if any changed. */
    public synchronized void refreshPolicies() {
        if (policyStore == null) {
            return;
        }
        PolicyStore.Stored next = policyStore.list();
        if (next.equals(policies)) {
            LOG.debugf("policies: nothing changed");
            return;
        }
        policies = next;
        LOG.infof("policies: %d traffic, %d access, %d invalid", next.traffic().size(), next.access().size(),
                next.invalid().size());
        publish();
    }

    /** The policy output of the last publish, by cluster: what each istiod was given and each policy's status. */
    public synchronized Map<String, PolicyConfig> policyConfigs() {
        return policyConfigs;
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
        if (policyStore != null) {
            policies = policyStore.list();
            LOG.infof("loaded %d traffic and %d access policies (%d invalid)", policies.traffic().size(),
                    policies.access().size(), policies.invalid().size());
        }
        publish();
    }

    /** Re-reads one cluster (registration and catalog) and publishes if anything changed. */
    public synchronized void refresh(String cluster) {
        Optional<ClusterStore.StoredCluster> registered = clusters.get(cluster);
        ClusterCatalog next = registered.map(r -> merge(r.cluster(), catalogs.get(cluster))).orElse(null);
        ClusterCatalog previous = next == null ? current.remove(cluster) : current.put(cluster, next);
        // whether this event changed what the bridge serves (a store watch may have seen the change first)
        Span.current().setAttribute(CHANGED, !java.util.Objects.equals(previous, next));
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

    /**
     * Translates the current state and hands it to the cache, which pushes to the ADS streams whose resources
     * changed. Caused by an event (a current span), it is that trace's {@code xds publish} span: one per publish,
     * not per stream or response (the streams are long-lived).
     */
    private void publish() {
        if (!Span.current().getSpanContext().isValid()) {
            translateAndPublish(); // a republish or a store watch's change: no event, no trace to add to
            return;
        }
        Span span = tracer.spanBuilder("xds publish").setAttribute(CLUSTERS, (long) current.size())
                .setAttribute(POLICIES, (long) (policies.traffic().size() + policies.access().size())).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            translateAndPublish();
        } catch (RuntimeException e) {
            span.recordException(e);
            span.setStatus(StatusCode.ERROR);
            throw e;
        } finally {
            span.end();
        }
    }

    private void translateAndPublish() {
        Instant now = clock.instant();
        McpTranslator istio = mcp;
        if (policyStore != null && !policies.isEmpty()) {
            PolicySet set = new PolicySet(policies.traffic(), policies.access());
            Map<String, PolicyConfig> configs = new TreeMap<>();
            policyBases.keySet().retainAll(current.keySet());
            for (String cluster : current.keySet()) {
                FederationState base = policyBases.computeIfAbsent(cluster, federation::newState);
                try {
                    base.update(current.values(), now);
                } catch (RuntimeException e) {
                    policyBases.remove(cluster); // a state that failed half-way starts over next time
                    throw e;
                }
                configs.put(cluster, policyTranslator.translate(set, current.values(), base.snapshot()));
            }
            policyConfigs = Map.copyOf(configs);
            istio = new PolicyMcpTranslator(mcp, configs);
            writeStatuses(configs);
        } else {
            policyConfigs = Map.of();
            policyBases.clear();
            if (policyStore != null) {
                forgetStatuses(java.util.Set.of()); // the last policy went: so do the statuses
            }
        }
        cache.publish(new FederationSnapshot(current.values(), envoy, istio, now));
    }

    /** Each stored policy's per-cluster statuses; a failed write is logged and retried by the next publish. */
    private void writeStatuses(Map<String, PolicyConfig> configs) {
        Map<String, List<PolicyStatus>> byPolicy = new TreeMap<>();
        configs.values().forEach(c -> c.statuses().forEach(st -> byPolicy.computeIfAbsent(st.policy(),
                k -> new ArrayList<>()).add(st)));
        for (PolicyStore.Invalid bad : policies.invalid()) {
            byPolicy.put(bad.ref(), List.of(new PolicyStatus(bad.ref(), "*", PolicyStatus.State.Invalid, List.of(),
                    bad.violations().stream().map(Object::toString).toList())));
        }
        policies.traffic().forEach(p -> byPolicy.putIfAbsent(p.ref(), List.of()));
        policies.access().forEach(p -> byPolicy.putIfAbsent(p.ref(), List.of()));
        byPolicy.forEach((ref, statuses) -> {
            int slash = ref.indexOf('/');
            try {
                policyStore.writeStatus(ref.substring(0, slash), ref.substring(slash + 1), statuses);
            } catch (RuntimeException e) {
                LOG.warnf("cannot record the status of %s: %s", ref, e.getMessage());
            }
        });        forgetStatuses(byPolicy.keySet());
    }

    /** Removes the statuses of policies no longer stored; a failure is logged and retried by the next publish. */
    private void forgetStatuses(java.util.Set<String> stored) {
        try {
            policyStore.forgetStatusesExcept(stored);
        } catch (RuntimeException e) {
            LOG.warnf("cannot remove the statuses of deleted policies: %s", e.getMessage());
        }
    }
}
