package io.meshfed.xds.cache;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Canonical values by key, held only as long as something else holds them: an entry goes when the garbage collector
 * finds its value unreachable, so memory follows the live snapshots without a sweep over them. The cache's resource
 * pool and chunks are interned by content; the translators' memos are the same thing keyed by a translation's
 * inputs. Keys must not change once handed in. Thread-safe; a value may be made twice by racing callers, but only
 * one is ever handed out.
 */
public final class WeakInterner<K, V> {
    private final ConcurrentHashMap<K, Ref<K, V>> map = new ConcurrentHashMap<>();
    private final ReferenceQueue<V> cleared = new ReferenceQueue<>();
    private final AtomicLong made = new AtomicLong();

    private static final class Ref<K, V> extends WeakReference<V> {
        final K key;

        Ref(K key, V value, ReferenceQueue<V> queue) {
            super(value, queue);
            this.key = key;
        }
    }

    /** The value held for {@code key}, or {@code make}'s, which is then held. */
    public V intern(K key, Function<K, V> make) {
        expunge();
        Ref<K, V> ref = map.get(key);
        V value = ref == null ? null : ref.get();
        if (value != null) {
            return value;
        }
        V fresh = make.apply(key);
        Ref<K, V> mine = new Ref<>(key, fresh, cleared);
        while (true) {
            Ref<K, V> held = map.putIfAbsent(key, mine);
            if (held == null) {
                made.incrementAndGet();
                return fresh;
            }
            V other = held.get();
            if (other != null) {
                return other;
            }
            if (map.replace(key, held, mine)) {
                made.incrementAndGet();
                return fresh;
            }
        }
    }

    /** Values made and held since start. */
    public long made() {
        return made.get();
    }

    /** Entries, those whose value was collected but not yet expunged included. */
    public int size() {
        expunge();
        return map.size();
    }

    public void clear() {
        map.clear();
    }

    private void expunge() {
        for (Object r; (r = cleared.poll()) != null; ) {
            @SuppressWarnings("unchecked")
            Ref<K, V> ref = (Ref<K, V>) r;
            map.remove(ref.key, ref);
        }
    }
}
