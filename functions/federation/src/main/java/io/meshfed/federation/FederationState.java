package io.meshfed.federation;

import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.Violation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The federation config of one target cluster, kept up to date incrementally: each {@link #update} takes the
 * complete current input (every catalog, and the time), finds what differs from the previous input, and
 * re-translates only the services it touches. After any sequence of updates, {@link #snapshot()} equals what a
 * fresh state (or {@link IstioFederationTranslator#translate}) produces from the last input alone.
 *
 * <p>What a change touches: a service whose content changed in cluster C rebuilds C's cluster-specific objects
 * for it and the cluster-set objects of that service name; a change of C's cluster record (network, gateway,
 * locality) or of its freshness rebuilds all of C's services; a service added or removed also re-probes the
 * virtual IPs of the hosts in the same probe run (see {@link VirtualIps}); a change of the target's own cluster
 * record rebuilds everything. An unchanged catalog (same content hash and freshness) costs one comparison.
 *
 * <p>Not thread-safe: one writer, and {@link #snapshot()} from that same thread (or after a happens-before edge).
 */
public final class FederationState {
    private final String target;
    private final Duration grace;
    private final TranslationMemo memo;
    private MeshCluster targetCluster;
    private final Map<String, ClusterView> views = new HashMap<>();
    /** "namespace/name" -> exporting cluster -> that cluster's service. */
    private final Map<String, TreeMap<String, ExportedService>> exporters = new HashMap<>();
    private final Set<String> clustersetAllocated = new HashSet<>();
    private final VirtualIps vips = new VirtualIps();
    /** Orders WorkloadEntries as their "namespace/name" keys do, as the other lists of a config are ordered. */
    private static final java.util.Comparator<WorkloadEntry> BY_NAME = (a, b) -> compareKeys(
            a.getMetadata().getNamespace(), a.getMetadata().getName(),
            b.getMetadata().getNamespace(), b.getMetadata().getName());
    /**
     * "namespace/name" -> the ServiceEntry and DestinationRule of that name (every host has both), and the
     * WorkloadEntries a cluster-specific host owns.
     */
    private final TreeMap<String, ServiceTranslation.Translated> objects = new TreeMap<>();
    private Gateway gateway;
    private Map<String, Long> versions = Map.of();

    public FederationState(String targetCluster, Duration stalenessGrace) {
        this(targetCluster, stalenessGrace, new TranslationMemo());
    }

    /** A state that shares {@code memo} with other states (of other targets) of the same translator. */
    FederationState(String targetCluster, Duration stalenessGrace, TranslationMemo memo) {
        this.memo = Objects.requireNonNull(memo, "memo");
        this.target = Objects.requireNonNull(targetCluster, "targetCluster");
        this.grace = Objects.requireNonNull(stalenessGrace, "stalenessGrace");
        if (stalenessGrace.isNegative()) {
            throw new IllegalArgumentException("stalenessGrace must not be negative, got " + stalenessGrace);
        }
    }

    public String targetCluster() {
        return target;
    }

    /**
     * Brings the config up to date with {@code catalogs} at {@code now}.
     *
     * @throws InvalidSpecException when the input is unusable (missing target, duplicate cluster names, ...);
     *         the state is then unchanged
     */
    public FederationDelta update(Collection<ClusterCatalog> catalogs, Instant now) {
        return update(catalogs, now, true);
    }

    /**
     * As {@link #update(Collection, Instant)}; with {@code collectDelta} false the returned delta is empty (a full
     * translation that only wants the {@link #snapshot()} skips recording what changed).
     */
    FederationDelta update(Collection<ClusterCatalog> catalogs, Instant now, boolean collectDelta) {
        Map<String, ClusterCatalog> incoming = validate(catalogs, target, now);
        MeshCluster newTarget = incoming.get(target).cluster();
        // A changed target record re-translates everything from an empty state; what the state held before is kept
        // to tell the delta which of those objects are gone.
        Map<String, ServiceTranslation.Translated> beforeReset = null;
        Gateway gatewayBeforeReset = null;
        if (targetCluster != null && !targetCluster.equals(newTarget)) {
            beforeReset = new HashMap<>(objects);
            gatewayBeforeReset = gateway;
            reset();
        }
        targetCluster = newTarget;
        String targetNetwork = newTarget.network();

        // "namespace/name" -> what this update re-translates of that service
        Map<String, Rebuild> rebuild = new HashMap<>();
        Set<String> addedHosts = new HashSet<>();
        Set<String> removedHosts = new HashSet<>();
        boolean gatewayDirty = false;

        Set<String> names = new TreeSet<>(views.keySet());
        names.addAll(incoming.keySet());
        for (String name : names) {
            ClusterView old = views.get(name);
            ClusterCatalog catalog = incoming.get(name);
            ClusterView now2 = catalog == null ? null : ClusterView.of(catalog, grace, now);
            if (old != null && now2 != null && old.sameContentAs(now2)) {
                if (name.equals(target) && old.catalog().version() != now2.catalog().version()) {
                    gatewayDirty = true;
                }
                views.put(name, now2);
                continue;
            }
            if (name.equals(target)) {
                gatewayDirty = true;
            }
            boolean everything = old == null || now2 == null || !old.cluster().equals(now2.cluster())
                    || old.freshness() != now2.freshness()
                    || !Objects.equals(old.catalog().staleSince(), now2.catalog().staleSince());
            List<ExportedService> before = old == null ? List.of() : old.catalog().services();
            List<ExportedService> after = now2 == null ? List.of() : now2.catalog().services();
            int i = 0;
            int j = 0;
            while (i < before.size() || j < after.size()) {
                ExportedService a = i < before.size() ? before.get(i) : null;
                ExportedService b = j < after.size() ? after.get(j) : null;
                int c = a == null ? 1 : b == null ? -1 : compareKeys(a, b);
                if (c < 0) {
                    changed(name, a, null, rebuild, addedHosts, removedHosts);
                    i++;
                } else if (c > 0) {
                    changed(name, null, b, rebuild, addedHosts, removedHosts);
                    j++;
                } else {
                    if (everything || (a != b && !a.equals(b))) {
                        changed(name, a, b, rebuild, addedHosts, removedHosts);
                    }
                    i++;
                    j++;
                }
            }
            if (now2 == null) {
                views.remove(name);
            } else {
                views.put(name, now2);
            }
        }

        for (Map.Entry<String, Rebuild> e : rebuild.entrySet()) {
            String key = e.getKey();
            boolean exported = exporters.containsKey(key);
            if (exported && clustersetAllocated.add(key)) {
                addedHosts.add(clustersetHost(key));
            } else if (!exported && clustersetAllocated.remove(key)) {
                removedHosts.add(clustersetHost(key));
            }
        }
        for (String host : vips.update(addedHosts, removedHosts)) {
            if (addedHosts.contains(host)) {
                continue; // a new host: its objects are already marked for translation
            }
            // host is <svc>.<ns>.svc.<cluster>.global or <svc>.<ns>.svc.clusterset.local
            String[] parts = host.split("\\.");
            Rebuild r = rebuild.computeIfAbsent(parts[1] + "/" + parts[0], k -> new Rebuild());
            if (host.endsWith(".clusterset.local")) {
                r.clusterset = true;
            } else {
                r.clusters.add(parts[3]);
            }
        }

        Delta delta = new Delta(collectDelta, objects.isEmpty());
        SharedPieces pieces = new SharedPieces();
        // in key order, so that a bulk fill gathers its objects nearly sorted (see Delta#finish)
        List<String> keys = new ArrayList<>(rebuild.keySet());
        keys.sort(null);
        for (String key : keys) {
            translate(key, rebuild.get(key), targetNetwork, pieces, delta);
        }
        delta.finish(objects);
        if (beforeReset != null) {
            delta.removedSince(beforeReset, objects);
            gateway = gatewayBeforeReset;
            gatewayDirty = true;
        }
        if (gatewayDirty) {
            Gateway next = eastWestGateway(views.get(target).catalog());
            String gwKey = FederationLabels.GATEWAY_NAMESPACE + "/" + FederationLabels.GATEWAY_NAME;
            if (next == null && gateway != null) {
                delta.removedGateways.add(gwKey);
            } else if (next != null && !next.equals(gateway)) {
                delta.upsertedGateways.add(next);
            }
            gateway = next;
        }
        Map<String, Long> v = new TreeMap<>();
        for (ClusterView view : views.values()) {
            v.put(view.name(), view.catalog().version());
        }
        versions = v;
        return delta.build();
    }

    /** The whole current config. O(number of objects). */
    public FederationConfig snapshot() {
        if (targetCluster == null) {
            throw new IllegalStateException("no update has been applied yet");
        }
        List<ServiceEntry> ses = new ArrayList<>(objects.size());
        List<DestinationRule> drs = new ArrayList<>(objects.size());
        List<WorkloadEntry> wes = new ArrayList<>(objects.size());
        for (ServiceTranslation.Translated t : objects.values()) {
            ses.add(t.serviceEntry());
            drs.add(t.destinationRule());
            wes.addAll(t.workloadEntries());
        }
        wes.sort(BY_NAME); // each object's entries are sorted; the runs nearly are
        return new FederationConfig(target, ses, drs, gateway == null ? List.of() : List.of(gateway), wes, versions);
    }

    /**
     * The east-west Gateway the exporting cluster's own istiod needs, or null when it exports nothing: TLS
     * AUTO_PASSTHROUGH on {@link GatewayAddress#ISTIO_EAST_WEST_PORT}, admitting the SNI of every host the cluster
     * exports (its cluster-specific and its cluster-set names).
     */
    static Gateway eastWestGateway(ClusterCatalog own) {
        if (own.services().isEmpty()) {
            return null;
        }
        TreeSet<String> hosts = new TreeSet<>();
        for (ExportedService s : own.services()) {
            hosts.add(ServiceTranslation.clusterHost(s.namespace(), s.name(), own.clusterName()));
            hosts.add(ServiceTranslation.clustersetHost(s.namespace(), s.name()));
        }
        Map<String, String> labels = new TreeMap<>();
        labels.put(FederationLabels.MANAGED_BY, FederationLabels.MANAGER);
        labels.put(FederationLabels.HOST_KIND, "gateway");
        labels.put(FederationLabels.SOURCE_CLUSTER, own.clusterName());
        Map<String, String> annotations = new TreeMap<>();
        annotations.put(FederationLabels.CATALOG_VERSION, Long.toString(own.version()));
        return IstioResources.eastWestGateway(IstioResources.metadata(FederationLabels.GATEWAY_NAMESPACE,
                FederationLabels.GATEWAY_NAME, labels, annotations), GatewayAddress.ISTIO_EAST_WEST_PORT,
                new ArrayList<>(hosts));
    }

    /**
     * Re-translates (or removes) the objects of service {@code key} that {@code r} names. The cluster-set objects
     * re-use each exporter's cluster-specific objects: the ones translated here, or the current ones of an
     * exporter that did not change.
     */
    private void translate(String key, Rebuild r, String targetNetwork, SharedPieces pieces, Delta delta) {
        String namespace = key.substring(0, key.indexOf('/'));
        String name = key.substring(namespace.length() + 1);
        TreeMap<String, ExportedService> byCluster = exporters.get(key);
        for (String cluster : r.clusters) {
            if (byCluster == null || !byCluster.containsKey(cluster)) {
                delta.remove(namespace + "/" + ServiceTranslation.clusterObjectName(name, cluster), objects);
            }
        }
        if (byCluster == null) {
            if (r.clusterset) {
                delta.remove(namespace + "/" + ServiceTranslation.clustersetObjectName(name), objects);
            }
            return;
        }
        if (!r.clusterset) {
            for (String cluster : r.clusters) {
                ExportedService service = byCluster.get(cluster);
                if (service != null) {
                    clusterSpecific(namespace, name, cluster, service, targetNetwork, pieces, delta);
                }
            }
            return;
        }
        List<ServiceTranslation.Exporter> list = new ArrayList<>(byCluster.size());
        for (Map.Entry<String, ExportedService> e : byCluster.entrySet()) {
            String cluster = e.getKey();
            ServiceTranslation.Translated own = r.clusters.contains(cluster)
                    ? clusterSpecific(namespace, name, cluster, e.getValue(), targetNetwork, pieces, delta)
                    : objects.get(namespace + "/" + ServiceTranslation.clusterObjectName(name, cluster));
            list.add(new ServiceTranslation.Exporter(views.get(cluster), e.getValue(), own));
        }
        String objectKey = namespace + "/" + ServiceTranslation.clustersetObjectName(name);
        ServiceTranslation.Translated t = ServiceTranslation.clusterset(list, targetNetwork,
                vips.addressOf(ServiceTranslation.clustersetHost(namespace, name)), pieces);
        if (t == null) {
            delta.remove(objectKey, objects);
        } else {
            delta.put(objectKey, t, objects);
        }
    }

    private ServiceTranslation.Translated clusterSpecific(String namespace, String name, String cluster,
            ExportedService service, String targetNetwork, SharedPieces pieces, Delta delta) {
        String vip = vips.addressOf(ServiceTranslation.clusterHost(namespace, name, cluster));
        ServiceTranslation.Translated t = memo.clusterSpecific(views.get(cluster), service, targetNetwork, vip, pieces);
        delta.put(namespace + "/" + ServiceTranslation.clusterObjectName(name, cluster), t, objects);
        return t;
    }

    private void changed(String cluster, ExportedService before, ExportedService after, Map<String, Rebuild> rebuild,
            Set<String> addedHosts, Set<String> removedHosts) {
        ExportedService any = after != null ? after : before;
        String key = any.key();
        if (after == null) {
            TreeMap<String, ExportedService> byCluster = exporters.get(key);
            if (byCluster != null) {
                byCluster.remove(cluster);
                if (byCluster.isEmpty()) {
                    exporters.remove(key);
                }
            }
            removedHosts.add(ServiceTranslation.clusterHost(any.namespace(), any.name(), cluster));
        } else {
            exporters.computeIfAbsent(key, k -> new TreeMap<>()).put(cluster, after);
            if (before == null) {
                addedHosts.add(ServiceTranslation.clusterHost(any.namespace(), any.name(), cluster));
            }
        }
        Rebuild r = rebuild.computeIfAbsent(key, k -> new Rebuild());
        r.clusters.add(cluster);
        r.clusterset = true;
    }

    /** What one update re-translates of one service. */
    private static final class Rebuild {
        /** Exporting clusters whose cluster-specific objects are re-translated (or removed, if no longer exported). */
        final Set<String> clusters = new HashSet<>();
        /** Whether the cluster-set objects are re-translated (or removed). */
        boolean clusterset;
    }

    /** Orders services as their "namespace/name" keys do (the order of a catalog), without building the keys. */
    private static int compareKeys(ExportedService a, ExportedService b) {
        return compareKeys(a.namespace(), a.name(), b.namespace(), b.name());
    }

    /**
     * Compares "namespaceA/nameA" with "namespaceB/nameB" as strings, building them only when the namespaces differ
     * (then "namespace/" alone decides: "ns-a/..." sorts before "ns/...").
     */
    static int compareKeys(String namespaceA, String nameA, String namespaceB, String nameB) {
        return namespaceA.equals(namespaceB) ? nameA.compareTo(nameB)
                : (namespaceA + "/").compareTo(namespaceB + "/");
    }

    private void reset() {
        views.clear();
        exporters.clear();
        clustersetAllocated.clear();
        vips.clear();
        objects.clear();
        gateway = null;
    }

    private static String clustersetHost(String key) {
        int slash = key.indexOf('/');
        return ServiceTranslation.clustersetHost(key.substring(0, slash), key.substring(slash + 1));
    }

    static Map<String, ClusterCatalog> validate(Collection<ClusterCatalog> catalogs, String target, Instant now) {
        List<Violation> violations = new ArrayList<>();
        Map<String, ClusterCatalog> byName = new HashMap<>();
        if (catalogs == null) {
            violations.add(new Violation("catalogs", "is required"));
        } else {
            int i = 0;
            for (ClusterCatalog c : catalogs) {
                if (c == null) {
                    violations.add(new Violation("catalogs[" + i + "]", "must not be null"));
                } else if (byName.putIfAbsent(c.clusterName(), c) != null) {
                    violations.add(new Violation("catalogs[" + i + "].cluster.name",
                            "duplicate cluster '" + c.clusterName() + "': each cluster has one catalog"));
                }
                i++;
            }
        }
        if (target == null || target.isBlank()) {
            violations.add(new Violation("targetCluster", "is required"));
        } else if (catalogs != null && !byName.containsKey(target)) {
            violations.add(new Violation("targetCluster", "'" + target + "' is not among the catalogs' clusters "
                    + new TreeSet<>(byName.keySet())));
        }
        if (now == null) {
            violations.add(new Violation("now", "is required"));
        }
        if (!violations.isEmpty()) {
            throw new InvalidSpecException(violations);
        }
        return byName;
    }

    /** Collects the changes of one update, and applies them to the output maps only when content differs. */
    private static final class Delta {
        final TreeMap<String, ServiceEntry> upsertedSe = new TreeMap<>();
        final TreeSet<String> removedSe = new TreeSet<>();
        final TreeMap<String, DestinationRule> upsertedDr = new TreeMap<>();
        final TreeSet<String> removedDr = new TreeSet<>();
        final List<Gateway> upsertedGateways = new ArrayList<>();
        final List<String> removedGateways = new ArrayList<>();
        final TreeMap<String, WorkloadEntry> upsertedWe = new TreeMap<>();
        final TreeSet<String> removedWe = new TreeSet<>();
        private final boolean collect;
        /**
         * Non-null while filling an empty state: the objects are gathered here and the map is built in one pass
         * ({@link #finish}) instead of by one tree insertion each.
         */
        private List<Map.Entry<String, ServiceTranslation.Translated>> bulk;

        Delta(boolean collect, boolean empty) {
            this.collect = collect;
            this.bulk = empty ? new ArrayList<>() : null;
        }

        void put(String key, ServiceTranslation.Translated t, Map<String, ServiceTranslation.Translated> current) {
            if (bulk != null) {
                bulk.add(Map.entry(key, t));
                if (collect) {
                    upsertedSe.put(key, t.serviceEntry());
                    upsertedDr.put(key, t.destinationRule());
                    entries(null, t.workloadEntries());
                }
                return;
            }
            ServiceTranslation.Translated old = current.put(key, t);
            if (collect && t != old) {
                if (old == null || !t.serviceEntry().equals(old.serviceEntry())) {
                    upsertedSe.put(key, t.serviceEntry());
                }
                if (old == null || !t.destinationRule().equals(old.destinationRule())) {
                    upsertedDr.put(key, t.destinationRule());
                }
                entries(old == null ? List.of() : old.workloadEntries(), t.workloadEntries());
            }
        }

        /**
         * Records how one host's WorkloadEntries changed from {@code before} (null: nothing to compare with) to
         * {@code after}; both sorted by name, as {@link ServiceTranslation#workloadEntries} returns them.
         */
        private void entries(List<WorkloadEntry> before, List<WorkloadEntry> after) {
            if (before == null || before.isEmpty()) {
                for (WorkloadEntry we : after) {
                    upsertedWe.put(key(we), we);
                }
                return;
            }
            if (before == after) {
                return;
            }
            int i = 0;
            int j = 0;
            while (i < before.size() || j < after.size()) {
                WorkloadEntry a = i < before.size() ? before.get(i) : null;
                WorkloadEntry b = j < after.size() ? after.get(j) : null;
                int c = a == null ? 1 : b == null ? -1 : a.getMetadata().getName().compareTo(b.getMetadata().getName());
                if (c < 0) {
                    removedWe.add(key(a));
                    i++;
                } else if (c > 0) {
                    upsertedWe.put(key(b), b);
                    j++;
                } else {
                    if (a != b && !a.equals(b)) {
                        upsertedWe.put(key(b), b);
                    }
                    i++;
                    j++;
                }
            }
        }

        private static String key(WorkloadEntry we) {
            return we.getMetadata().getNamespace() + "/" + we.getMetadata().getName();
        }

        /**
         * Writes the gathered objects of a bulk fill into {@code current} (which is still empty). They arrive
         * grouped by service key in key order, so the sort mostly merges long runs.
         */
        void finish(TreeMap<String, ServiceTranslation.Translated> current) {
            if (bulk != null) {
                bulk.sort(Map.Entry.comparingByKey());
                current.putAll(new SortedEntries<>(bulk));
                bulk = null;
            }
        }

        /**
         * After a fill from empty that replaced {@code before}: records as removed every object of {@code before}
         * that {@code after} no longer has (the fill recorded the rest as upserted).
         */
        void removedSince(Map<String, ServiceTranslation.Translated> before,
                Map<String, ServiceTranslation.Translated> after) {
            if (!collect) {
                return;
            }
            for (Map.Entry<String, ServiceTranslation.Translated> e : before.entrySet()) {
                ServiceTranslation.Translated now = after.get(e.getKey());
                if (now == null) {
                    removedSe.add(e.getKey());
                    removedDr.add(e.getKey());
                    now = EMPTY;
                }
                entries(e.getValue().workloadEntries(), now.workloadEntries());
            }
        }

        private static final ServiceTranslation.Translated EMPTY = new ServiceTranslation.Translated(null, null,
                List.of(), List.of());

        void remove(String key, Map<String, ServiceTranslation.Translated> current) {
            if (bulk != null) {
                return; // nothing to remove from an empty state
            }
            ServiceTranslation.Translated old = current.remove(key);
            if (old != null && collect) {
                removedSe.add(key);
                removedDr.add(key);
                for (WorkloadEntry we : old.workloadEntries()) {
                    removedWe.add(key(we));
                }
            }
        }

        FederationDelta build() {
            removedWe.removeAll(upsertedWe.keySet());
            return new FederationDelta(new ArrayList<>(upsertedSe.values()), new ArrayList<>(removedSe),
                    new ArrayList<>(upsertedDr.values()), new ArrayList<>(removedDr), upsertedGateways,
                    removedGateways, new ArrayList<>(upsertedWe.values()), new ArrayList<>(removedWe));
        }
    }
}
