package io.meshfed.federation;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * A read-only {@link SortedMap} view of entries already sorted by key in natural order, with distinct keys, for
 * filling an empty {@link java.util.TreeMap} in linear time: {@code TreeMap.putAll} of a sorted map into an empty
 * tree builds it directly instead of inserting (and rebalancing) entry by entry. Only what that path reads is
 * implemented.
 */
final class SortedEntries<K, V> extends AbstractMap<K, V> implements SortedMap<K, V> {
    private final List<Map.Entry<K, V>> entries;

    /** @param entries sorted by key (natural order), keys distinct; not copied */
    SortedEntries(List<Map.Entry<K, V>> entries) {
        this.entries = entries;
    }

    @Override
    public Comparator<? super K> comparator() {
        return null;
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return entries.iterator();
            }

            @Override
            public int size() {
                return entries.size();
            }
        };
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public SortedMap<K, V> subMap(K fromKey, K toKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public SortedMap<K, V> headMap(K toKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public SortedMap<K, V> tailMap(K fromKey) {
        throw new UnsupportedOperationException();
    }

    @Override
    public K firstKey() {
        return entries.get(0).getKey();
    }

    @Override
    public K lastKey() {
        return entries.get(entries.size() - 1).getKey();
    }
}
