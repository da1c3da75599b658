package io.meshfed.xds.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A node group's first build runs outside the cache's lock, once for all its waiting watches. */
class FirstBuildTest {

    /** A generation whose builds of cluster "slow" wait for a latch; counts builds per cluster. */
    static final class Generation implements SnapshotSource {
        final String tag;
        final CountDownLatch slowMayFinish;
        final CountDownLatch slowStarted = new CountDownLatch(1);
        final Map<String, AtomicInteger> builds = Map.of("slow", new AtomicInteger(), "fast", new AtomicInteger());

        Generation(String tag, CountDownLatch slowMayFinish) {
            this.tag = tag;
            this.slowMayFinish = slowMayFinish;
        }

        @Override
        public Set<String> clusters() {
            return Set.of("slow", "fast");
        }

        @Override
        public Map<String, Map<String, Message>> resources(NodeGroup group) {
            builds.get(group.cluster()).incrementAndGet();
            if (group.cluster().equals("slow")) {
                slowStarted.countDown();
                try {
                    assertTrue(slowMayFinish.await(30, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            String name = group.cluster() + "-" + tag;
            return Map.of(TypeUrls.key(TypeUrls.ENDPOINT),
                    Map.of(name, ClusterLoadAssignment.newBuilder().setClusterName(name).build()));
        }
    }

    static final ConfigWatcher.SnapshotListener QUIET = new ConfigWatcher.SnapshotListener() {
        @Override
        public void onSnapshot(Snapshot snapshot) {
        }

        @Override
        public void onClusterRemoved(String cluster) {
        }
    };

    @Test
    void aSlowFirstBuildBlocksNeitherOtherGroupsNorPublishes() throws Exception {
        SnapshotCache cache = new SnapshotCache();
        CountDownLatch release = new CountDownLatch(1);
        Generation first = new Generation("g1", release);
        cache.publish(first);

        CompletableFuture<ConfigWatcher.Watch> slowA = CompletableFuture.supplyAsync(() -> cache.watch(NodeGroup.of("slow"), QUIET));
        assertTrue(first.slowStarted.await(10, TimeUnit.SECONDS));
        CompletableFuture<ConfigWatcher.Watch> slowB = new CompletableFuture<>();
        Thread second = new Thread(() -> slowB.complete(cache.watch(NodeGroup.of("slow"), QUIET)));
        second.start();
        for (int i = 0; i < 1000 && second.getState() != Thread.State.WAITING; i++) {
            Thread.sleep(10); // until it waits for the running build
        }
        assertEquals(Thread.State.WAITING, second.getState());

        // While "slow" is being built: another group is served and a new generation is published.
        ConfigWatcher.Watch fast = cache.watch(NodeGroup.of("fast"), QUIET);
        assertTrue(fast.current().resources(TypeUrls.ENDPOINT).resources().containsKey("fast-g1"));
        Generation next = new Generation("g2", new CountDownLatch(0));
        cache.publish(next);
        assertTrue(fast.current().resources(TypeUrls.ENDPOINT).resources().containsKey("fast-g2"));
        assertFalse(slowA.isDone() || slowB.isDone(), "the slow group's watches wait for its build");

        release.countDown();
        ConfigWatcher.Watch a = slowA.get(30, TimeUnit.SECONDS);
        ConfigWatcher.Watch b = slowB.get(30, TimeUnit.SECONDS);
        assertEquals(Set.of("slow-g2"), a.current().resources(TypeUrls.ENDPOINT).resources().keySet(),
                "a first build that a publish overtook is redone from the newer generation");
        assertTrue(a.current() == b.current(), "both watches share the group's snapshot");
        assertEquals(1, first.builds.get("slow").get(), "the two waiting watches shared one first build");
        assertEquals(1, next.builds.get("slow").get());
        assertEquals(3, cache.watchCount());
        a.close();
        b.close();
        fast.close();
        assertEquals(Set.of(), cache.liveGroups());
    }
}
