package io.meshfed.xds.cache;

/**
 * All the protocol layer knows about where configuration comes from: open a watch on a node group, read its
 * current snapshot, hear about later ones, close it when the stream ends. Implementations are thread-safe.
 */
public interface ConfigWatcher {

    /**
     * Opens a watch for a client asking as {@code group}. The group that actually serves it ({@link Watch#group()})
     * may be another one with the same resources, and may change on a publish (the listener then hears that
     * group's snapshot). The listener hears every snapshot published after {@link Watch#current()}; it is called on
     * the publishing thread and must only hand the snapshot over (never block).
     *
     * @throws UnknownClusterException when {@code group.cluster()} is not a registered cluster
     * @throws SnapshotUnavailableException when the group's configuration cannot be built
     */
    Watch watch(NodeGroup group, SnapshotListener listener);

    /** Receives snapshots for one watch. */
    interface SnapshotListener {
        void onSnapshot(Snapshot snapshot);

        /** The watched cluster was deregistered; the watch is already closed. */
        void onClusterRemoved(String cluster);
    }

    /** One open watch. {@link #close()} is idempotent and releases everything the watch held. */
    interface Watch extends AutoCloseable {
        Snapshot current();

        /** The node group serving this watch now. */
        NodeGroup group();

        @Override
        void close();
    }
}
