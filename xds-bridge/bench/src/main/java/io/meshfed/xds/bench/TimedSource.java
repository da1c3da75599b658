package io.meshfed.xds.bench;

import com.google.protobuf.Message;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.SnapshotSource;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A generation of the federation that counts the CPU time its callers spend translating (catalogs to Envoy and
 * Istio resources): the thread CPU time inside {@link #resources} and {@link #changesSince}, whichever thread
 * calls them. Waiting for another thread's translation of the same cluster is not CPU time, so nothing is counted
 * twice. Both servers under test are fed through it, so translation is reported apart from protocol work.
 */
final class TimedSource implements SnapshotSource {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    final FederationSnapshot inner;
    private final AtomicLong translationNanos;

    TimedSource(FederationSnapshot inner, AtomicLong translationNanos) {
        this.inner = inner;
        this.translationNanos = translationNanos;
    }

    @Override
    public Set<String> clusters() {
        return inner.clusters();
    }

    @Override
    public NodeGroup groupFor(NodeGroup requested) {
        return inner.groupFor(requested);
    }

    @Override
    public Set<NodeGroup> standbyGroups() {
        return inner.standbyGroups();
    }

    @Override
    public Map<String, Map<String, Message>> resources(NodeGroup group) {
        return timed(() -> inner.resources(group));
    }

    @Override
    public Changes changesSince(SnapshotSource previous, NodeGroup group) {
        SnapshotSource before = previous instanceof TimedSource t ? t.inner : previous;
        return timed(() -> inner.changesSince(before, group));
    }

    private <T> T timed(Supplier<T> work) {
        long start = THREADS.getCurrentThreadCpuTime();
        try {
            return work.get();
        } finally {
            translationNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - start);
        }
    }
}
