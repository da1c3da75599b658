package io.meshfed.xds.cache;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * An immutable map from names to values that iterates in name order, kept as two sorted arrays. {@link #with}
 * derives the next version by copying the arrays around the changes, which allocates two arrays instead of one
 * entry object per name: a node group's 20,000 ServiceEntries change by a handful per publish, and a tree map copy
 * of them per group and publish was most of what the garbage collector had to move.
 */
public final class SortedArrayMap<V> extends AbstractMap<String, V> {
    private static final SortedArrayMap<?> EMPTY = new SortedArrayMap<>(new String[0], new Object[0]);

    private final String[] keys;
    private final Object[] values;

    private SortedArrayMap(String[] keys, Object[] values) {
        this.keys = keys;
        this.values = values;
    }

    @SuppressWarnings("unchecked")
    public static <V> SortedArrayMap<V> empty() {
        return (SortedArrayMap<V>) EMPTY;
    }

    /** A copy of {@code m} (no null keys or values). */
    public static <V> SortedArrayMap<V> copyOf(Map<String, ? extends V> m) {
        if (m instanceof SortedArrayMap<?>) {
            @SuppressWarnings("unchecked")
            SortedArrayMap<V> same = (SortedArrayMap<V>) m;
            return same;
        }
        TreeMap<String, V> sorted = new TreeMap<>(m);
        String[] k = new String[sorted.size()];
        Object[] v = new Object[sorted.size()];
        int i = 0;
        for (Map.Entry<String, V> e : sorted.entrySet()) {
            k[i] = e.getKey();
            v[i] = java.util.Objects.requireNonNull(e.getValue(), e.getKey());
            i++;
        }
        return new SortedArrayMap<>(k, v);
    }

    /**
     * This map with {@code removed} names left out and {@code put} entries added or replacing (a name both put and
     * removed is put); this map itself when nothing changes. Costs one copy of the arrays plus a binary search per
     * change.
     */
    public SortedArrayMap<V> with(Map<String, ? extends V> put, Collection<String> removed) {
        if (put.isEmpty() && removed.isEmpty()) {
            return this;
        }
        TreeMap<String, Object> changes = new TreeMap<>();
        for (String name : removed) {
            changes.put(name, null);
        }
        put.forEach((name, value) -> changes.put(name, java.util.Objects.requireNonNull(value, name)));
        int size = keys.length;
        for (Map.Entry<String, Object> c : changes.entrySet()) {
            boolean present = Arrays.binarySearch(keys, c.getKey()) >= 0;
            if (c.getValue() == null && present) {
                size--;
            } else if (c.getValue() != null && !present) {
                size++;
            }
        }
        String[] k = new String[size];
        Object[] v = new Object[size];
        int from = 0;
        int to = 0;
        for (Map.Entry<String, Object> c : changes.entrySet()) {
            int at = Arrays.binarySearch(keys, from, keys.length, c.getKey());
            int runEnd = at >= 0 ? at : -at - 1;
            int run = runEnd - from;
            System.arraycopy(keys, from, k, to, run);
            System.arraycopy(values, from, v, to, run);
            to += run;
            from = at >= 0 ? at + 1 : runEnd; // a present name is replaced or dropped
            if (c.getValue() != null) {
                k[to] = c.getKey();
                v[to] = c.getValue();
                to++;
            }
        }
        System.arraycopy(keys, from, k, to, keys.length - from);
        System.arraycopy(values, from, v, to, keys.length - from);
        return new SortedArrayMap<>(k, v);
    }

    @Override
    public int size() {
        return keys.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String s && Arrays.binarySearch(keys, s) >= 0;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        if (!(key instanceof String s)) {
            return null;
        }
        int i = Arrays.binarySearch(keys, s);
        return i >= 0 ? (V) values[i] : null;
    }

    /** The position of {@code name} in name order, or {@code -(insertion point) - 1} when absent. */
    public int indexOf(String name) {
        return Arrays.binarySearch(keys, name);
    }

    /** The name at position {@code i} in name order. */
    public String keyAt(int i) {
        return keys[i];
    }

    /** The value at position {@code i} in name order. */
    @SuppressWarnings("unchecked")
    public V valueAt(int i) {
        return (V) values[i];
    }

    @Override
    @SuppressWarnings("unchecked")
    public void forEach(BiConsumer<? super String, ? super V> action) {
        for (int i = 0; i < keys.length; i++) {
            action.accept(keys[i], (V) values[i]);
        }
    }

    @Override
    public Set<Map.Entry<String, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return keys.length;
            }

            @Override
            public Iterator<Map.Entry<String, V>> iterator() {
                return new Iterator<>() {
                    int i;

                    @Override
                    public boolean hasNext() {
                        return i < keys.length;
                    }

                    @Override
                    public Map.Entry<String, V> next() {
                        if (i >= keys.length) {
                            throw new NoSuchElementException();
                        }
                        Map.Entry<String, V> e = new SimpleImmutableEntry<>(keys[i], valueAt(i));
                        i++;
                        return e;
                    }
                };
            }
        };
    }
}
