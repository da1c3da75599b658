package io.meshfed.xds.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A replica standing by keeps the groups its source names built before any client asks, rebuilds them on every
 * publish, and serves a client that moves to it from them without building anything.
 */
class StandbyTest {

    /** Clusters each with one endpoint resource per version; names istio and Envoy groups for standing by. */
    static final class Generation implements SnapshotSource {
        final Map<String, Integer> versions;
        final Map<NodeGroup, AtomicInteger> builds = new ConcurrentHashMap<>();

        Generation(Map<String, Integer> versions) {
            this.versions = new TreeMap<>(versions);
        }

        @Override
        public Set<String> clusters() {
            return versions.keySet();
        }

        @Override
        public Set<NodeGroup> standbyGroups() {
            Set<NodeGroup> groups = new java.util.HashSet<>();
            versions.keySet().forEach(c -> {
                groups.add(NodeGroup.istio(c));
                groups.add(NodeGroup.of(c));
            });
            return groups;
        }

        @Override
        public Map<String, Map<String, Message>> resources(NodeGroup group) {
            builds.computeIfAbsent(group, g -> new AtomicInteger()).incrementAndGet();
            Map<String, Message> byName = new TreeMap<>();
            for (int i = 0; i < 40; i++) {
                String name = group.cluster() + "-" + i;
                byName.put(name, ClusterLoadAssignment.newBuilder().setClusterName(name + "@" + versions.get(group.cluster()))
                        .build());
            }
            return Map.of(TypeUrls.key(group.kind() == NodeGroup.Kind.ISTIO ? TypeUrls.SERVICE_ENTRY_KEY : TypeUrls.ENDPOINT),
                    byName);
        }

        int buildsOf(NodeGroup g) {
            AtomicInteger n = builds.get(g);
            return n == null ? 0 : n.get();
        }
    }

    @Test
    void standbyGroupsAreBuiltAndPreparedBeforeAnyClientAndServeTheFirstWithoutABuild() {
        SnapshotCache cache = new SnapshotCache();
        Generation g1 = new Generation(Map.of("east", 1, "west", 1));
        cache.publish(g1);
        assertEquals(Set.of(), cache.liveGroups(), "without standing by, nothing is built before a client asks");

        List<NodeGroup> prepared = new ArrayList<>();
        cache.standBy((group, snapshot) -> {
            synchronized (prepared) {
                prepared.add(group);
            }
        });
        Set<NodeGroup> standby = g1.standbyGroups();
        assertEquals(standby, cache.liveGroups(), "every group the source names is built");
        assertEquals(standby, Set.copyOf(prepared), "and handed to prepare once built");
        standby.forEach(g -> assertEquals(1, g1.buildsOf(g), g + " built once"));

        // a client that moves here is served the standby snapshot: no build of its own
        ConfigWatcher.Watch istiod = cache.watch(NodeGroup.istio("east"), FirstBuildTest.QUIET);
        assertEquals(1, g1.buildsOf(NodeGroup.istio("east")));
        assertSame(cache.snapshot(NodeGroup.istio("east")), istiod.current());
        assertTrue(istiod.current().resources(TypeUrls.SERVICE_ENTRY_KEY).resources().containsKey("east-0"));

        // a publish rebuilds the standby groups like watched ones; the last watch closing keeps the group
        Generation g2 = new Generation(Map.of("east", 2, "west", 1));
        cache.publish(g2);
        Snapshot east = cache.snapshot(NodeGroup.of("east"));
        assertTrue(((ClusterLoadAssignment) east.resources(TypeUrls.ENDPOINT).get("east-0").message())
                .getClusterName().endsWith("@2"), "an unwatched standby group follows the new generation");
        istiod.close();
        assertEquals(standby, cache.liveGroups(), "a standby group outlives its last watch");

        // a cluster that leaves takes its standby groups along
        Generation g3 = new Generation(Map.of("west", 1));
        cache.publish(g3);
        assertEquals(g3.standbyGroups(), cache.liveGroups());
    }

    @Test
    void sharesArePreparedForTheConfiguredNumberOfSources() {
        SnapshotCache cache = new SnapshotCache();
        cache.publish(new Generation(Map.of("east", 1)));
        cache.standBy(io.meshfed.xds.protocol.Shard.preparing(4));
        TypeSnapshot ses = cache.snapshot(NodeGroup.istio("east")).resources(TypeUrls.SERVICE_ENTRY_KEY);
        int total = 0;
        for (int i = 0; i < 4; i++) {
            TypeSnapshot.Part part = ses.part(4, i);
            assertSame(part, ses.part(4, i), "the split is made once per snapshot");
            total += part.resources().size();
            assertTrue(part.resources().isEmpty() || !part.sotwChunks().isEmpty());
        }
        assertEquals(40, total, "the four shares hold every ServiceEntry once");
    }
}
