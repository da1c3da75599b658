package io.meshfed.xds.cache;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every resource of one type for one node group, by name, with a version that digests all names and resource
 * versions (so an unchanged set keeps its version and a restart reproduces it).
 *
 * <p>The version is the sum, per 64-bit half, of each resource's name-and-version digest, so {@link #with} derives
 * the next snapshot of a type from the changed resources alone instead of re-digesting every resource.
 */
public record TypeSnapshot(String version, SortedMap<String, Resource> resources, long sumHigh, long sumLow) {
    public static final TypeSnapshot EMPTY = of(List.of());

    public TypeSnapshot {
        resources = Collections.unmodifiableSortedMap(new TreeMap<>(resources));
    }

    public static TypeSnapshot of(List<Resource> resources) {
        SortedMap<String, Resource> byName = new TreeMap<>();
        long high = 0;
        long low = 0;
        for (Resource r : resources) {
            if (byName.put(r.name(), r) != null) {
                // istiod's MCP client silently lets duplicates overwrite each other: never send them.
                throw new IllegalArgumentException("duplicate resource name '" + r.name() + "'");
            }
            high += r.digestHigh();
            low += r.digestLow();
        }
        return new TypeSnapshot(Digests.hex(high, low, byName.size()), byName, high, low);
    }

    /**
     * This snapshot with {@code put} added or replacing resources of the same name, and {@code removed} names left
     * out (a name both put and removed is put). Costs the changed resources plus one copy of the sorted map.
     */
    public TypeSnapshot with(Collection<Resource> put, Collection<String> removed) {
        if (put.isEmpty() && removed.isEmpty()) {
            return this;
        }
        TreeMap<String, Resource> next = new TreeMap<>(resources);
        long high = sumHigh;
        long low = sumLow;
        for (String name : removed) {
            Resource old = next.remove(name);
            if (old != null) {
                high -= old.digestHigh();
                low -= old.digestLow();
            }
        }
        for (Resource r : put) {
            Resource old = next.put(r.name(), r);
            if (old != null) {
                high -= old.digestHigh();
                low -= old.digestLow();
            }
            high += r.digestHigh();
            low += r.digestLow();
        }
        return new TypeSnapshot(Digests.hex(high, low, next.size()), next, high, low);
    }

    /** The version of a response that carries exactly {@code included} (a named subscription's view). */
    public static String versionOf(List<Resource> included) {
        List<String> parts = new ArrayList<>(included.size() * 2);
        for (Resource r : included) {
            parts.add(r.name());
            parts.add(r.version());
        }
        return Digests.of(parts);
    }

    public Resource get(String name) {
        return resources.get(name);
    }
}
