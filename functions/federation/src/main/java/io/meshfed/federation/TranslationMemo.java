package io.meshfed.federation;

import io.meshfed.model.ExportedService;
import io.meshfed.model.MeshCluster;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.time.Instant;
import java.util.Objects;

/**
 * Cluster-specific translations kept across calls and shared across targets: the {@code <svc>.<cluster>.global}
 * ServiceEntry and DestinationRule of one exported service depend only on the service, its cluster's record and
 * freshness, whether the target is on the same network (pods directly or through the gateway) and the host's
 * virtual IP. A translation whose inputs are all equal to an earlier one's returns the earlier objects, so a
 * repeated full translation (or one for another target) re-uses them instead of allocating them again. The
 * objects are read-only (see {@link FederationConfig}), so sharing them is safe and equality is unaffected.
 *
 * <p>Keyed weakly by the identity of the exported service instance: the catalogs handed to every target and
 * every call are the same instances until a cluster's catalog changes, so an identity lookup finds what a
 * lookup by content would, without hashing and comparing every service's endpoints (which cost more than a
 * translation misses). A catalog read again with equal content brings new instances; their services are
 * translated once more and remembered under them. An entry disappears once its service is no longer reachable,
 * so the memo never keeps more than the live catalogs' services, with at most {@link #VARIANTS_PER_SERVICE}
 * variants (cluster record, freshness, network relation, address) each.
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

    /** One service's variants, most recent last; the entry never refers to its service strongly. */
    private static final class Entry extends WeakReference<ExportedService> {
        final int hash;
        Entry next;
        Variant[] variants = new Variant[0];

        Entry(ExportedService service, int hash, Entry next, ReferenceQueue<ExportedService> queue) {
            super(service, queue);
            this.hash = hash;
            this.next = next;
        }
    }

    /** Guarded by {@code this}: an open hash table of chains by identity hash; the length is a power of two. */
    private Entry[] table = new Entry[1024];
    private int size;
    private final ReferenceQueue<ExportedService> collected = new ReferenceQueue<>();

    /** As {@link ServiceTranslation#clusterSpecific}, re-using an earlier equal translation when there is one. */
    ServiceTranslation.Translated clusterSpecific(ClusterView source, ExportedService service, String targetNetwork,
            String vip, SharedPieces pieces) {
        MeshCluster cluster = source.cluster();
        Instant staleSince = source.catalog().staleSince();
        boolean withheld = source.withheld();
        boolean direct = cluster.network().equals(targetNetwork);
        int hash = System.identityHashCode(service);
        synchronized (this) {
            Entry e = find(service, hash);
            if (e != null) {
                for (Variant v : e.variants) {
                    if (v.matches(cluster, staleSince, withheld, direct, vip)) {
                        return v.translated();
                    }
                }
            }
        }
        ServiceTranslation.Translated t = ServiceTranslation.clusterSpecific(source, service, targetNetwork, vip,
                pieces);
        Variant variant = new Variant(cluster, staleSince, withheld, direct, vip, t);
        synchronized (this) {
            Entry e = find(service, hash);
            if (e == null) {
                expungeCollected();
                if (size >= table.length * 3 / 4) {
                    resize();
                }
                int i = hash & (table.length - 1);
                e = new Entry(service, hash, table[i], collected);
                table[i] = e;
                size++;
            }
            Variant[] old = e.variants;
            int keep = Math.min(old.length, VARIANTS_PER_SERVICE - 1);
            Variant[] next = new Variant[keep + 1];
            System.arraycopy(old, old.length - keep, next, 0, keep);
            next[keep] = variant;
            e.variants = next;
        }
        return t;
    }

    synchronized int size() {
        expungeCollected();
        return size;
    }

    private Entry find(ExportedService service, int hash) {
        for (Entry e = table[hash & (table.length - 1)]; e != null; e = e.next) {
            if (e.hash == hash && e.get() == service) {
                return e;
            }
        }
        return null;
    }

    /** Unlinks the entries whose service has been collected. */
    private void expungeCollected() {
        for (Object ref; (ref = collected.poll()) != null; ) {
            Entry dead = (Entry) ref;
            int i = dead.hash & (table.length - 1);
            Entry prev = null;
            for (Entry e = table[i]; e != null; prev = e, e = e.next) {
                if (e == dead) {
                    if (prev == null) {
                        table[i] = e.next;
                    } else {
                        prev.next = e.next;
                    }
                    size--;
                    break;
                }
            }
        }
    }

    private void resize() {
        Entry[] old = table;
        Entry[] grown = new Entry[old.length * 2];
        for (Entry head : old) {
            for (Entry e = head; e != null; ) {
                Entry next = e.next;
                int i = e.hash & (grown.length - 1);
                e.next = grown[i];
                grown[i] = e;
                e = next;
            }
        }
        table = grown;
    }
}
