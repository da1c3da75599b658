package io.meshfed.xds.cache;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every resource of one type for one node group, by name, with a version that is a digest of all names and
 * resource versions (so an unchanged set keeps its version and a restart reproduces it).
 */
public record TypeSnapshot(String version, SortedMap<String, Resource> resources) {
    public static final TypeSnapshot EMPTY = of(List.of());

    public TypeSnapshot {
        resources = Collections.unmodifiableSortedMap(new TreeMap<>(resources));
    }

    public static TypeSnapshot of(List<Resource> resources) {
        SortedMap<String, Resource> byName = new TreeMap<>();
        for (Resource r : resources) {
            if (byName.put(r.name(), r) != null) {
                // istiod's MCP client silently lets duplicates overwrite each other: never send them.
                throw new IllegalArgumentException("duplicate resource name '" + r.name() + "'");
            }
        }
        List<String> parts = new ArrayList<>(byName.size() * 2);
        for (Map.Entry<String, Resource> e : byName.entrySet()) {
            parts.add(e.getKey());
            parts.add(e.getValue().version());
        }
        return new TypeSnapshot(Digests.of(parts), byName);
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
