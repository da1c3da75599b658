package io.meshfed.xds.protocol;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Open streams per cluster identity, capped: one cluster's clients (or whoever holds its identity) cannot take
 * every stream the bridge can serve. Thread-safe; streams of one cluster run on several event loops.
 */
final class ClusterStreams {
    private final int max;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    ClusterStreams(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("the cap of streams per cluster must be at least 1, got " + max);
        }
        this.max = max;
    }

    int max() {
        return max;
    }

    /** Counts a new stream of {@code cluster}; false (nothing counted) when the cluster already has the most. */
    boolean tryOpen(String cluster) {
        boolean[] admitted = new boolean[1];
        open.compute(cluster, (c, n) -> {
            int count = n == null ? 0 : n;
            admitted[0] = count < max;
            return admitted[0] ? count + 1 : n;
        });
        return admitted[0];
    }

    /** Releases a stream {@link #tryOpen} counted. */
    void close(String cluster) {
        open.computeIfPresent(cluster, (c, n) -> n <= 1 ? null : n - 1);
    }
}
