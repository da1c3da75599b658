package io.meshfed.federation;

import io.meshfed.model.ExportedService;
import io.meshfed.model.MeshCluster;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;

/**
 * Cluster-specific translations kept across calls and shared across targets: the {@code <svc>.<cluster>.global}
 * ServiceEntry and DestinationRule of one exported service depend only on the service, its cluster's record and
 * freshness, whether the target is on the same network (pods directly or through the gateway) and the host's
 * virtual IP. A translation whose inputs are all equal to an earlier one's returns the earlier objects, so a
 * repeated full translation (or one for another target) re-uses them instead of allocating them again. The
 * objects are read-only (see {@link FederationConfig}), so sharing them is safe and equality is unaffected.
 *
 * <p>Keyed weakly by the exported service (by value, as {@link WeakHashMap} does): an entry disappears once no
 * catalog holds the service any more, so the memo never keeps more than the live catalogs' services, with at most
 * {@link #VARIANTS_PER_SERVICE} variants (cluster record, freshness, network relation, address) each.
 *
 * <p>Thread-safe: states of several targets may use one memo concurrently (the xDS bridge translates targets in
 * parallel). Lookups hold the lock briefly; translation runs outside it, so two threads may translate the same
 * service at once and one result wins, which is harmless because both are equal.
 */
final class TranslationMemo {
    static final int VARIANTS_PER_SERVICE = 4;

    /** Everything besides the service that a cluster-specific translation depends on. */
    private record Variant(MeshCluster cluster, Instant staleSince, boolean withheld, boolean direct, String vip,
            ServiceTranslation.Translated translated) {
        boolean matches(MeshCluster c, Instant since, boolean w, boolean d, String v) {
            return withheld == w && direct == d && vip.equals(v) && Objects.equals(staleSince, since)
                    && (cluster == c || cluster.equals(c));
        }
    }

    /** Guarded by {@code this}. Values never refer to their key (which would keep it from being collected). */
    private final Map<ExportedService, List<Variant>> byService = new WeakHashMap<>();

    /** As {@link ServiceTranslation#clusterSpecific}, re-using an earlier equal translation when there is one. */
    ServiceTranslation.Translated clusterSpecific(ClusterView source, ExportedService service, String targetNetwork,
            String vip, SharedPieces pieces) {
        MeshCluster cluster = source.cluster();
        Instant staleSince = source.catalog().staleSince();
        boolean withheld = source.withheld();
        boolean direct = cluster.network().equals(targetNetwork);
        synchronized (this) {
            List<Variant> variants = byService.get(service);
            if (variants != null) {
                for (Variant v : variants) {
                    if (v.matches(cluster, staleSince, withheld, direct, vip)) {
                        return v.translated();
                    }
                }
            }
        }
        ServiceTranslation.Translated t = ServiceTranslation.clusterSpecific(source, service, targetNetwork, vip,
                pieces);
        synchronized (this) {
            List<Variant> variants = byService.computeIfAbsent(service, s -> new ArrayList<>(2));
            if (variants.size() >= VARIANTS_PER_SERVICE) {
                variants.remove(0);
            }
            variants.add(new Variant(cluster, staleSince, withheld, direct, vip, t));
        }
        return t;
    }

    synchronized int size() {
        return byService.size();
    }
}
