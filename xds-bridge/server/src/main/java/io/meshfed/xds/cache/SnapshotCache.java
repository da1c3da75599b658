package io.meshfed.xds.cache;

import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Snapshots per node group, rebuilt from a {@link SnapshotSource} on every {@link #publish}, and the watches on
 * them.
 *
 * <p>A watch is served by the group {@link SnapshotSource#groupFor} names for the group its client asked as, so
 * clients whose requests differ only where the resources do not (an invented locality) share one group and the
 * number of groups is bounded by what the source knows, not by what clients write. On a publish each watch is
 * served by the group the new generation names for it: a watch whose group changes (a locality became known, or
 * stopped being known) moves to that group, which is built then if nobody watches it yet, and hears its snapshot.
 *
 * <p>Only groups with at least one open watch are kept: the last watch closing drops the group, so memory follows
 * the connected clients and nothing grows with connect/disconnect churn. A publish notifies a group's watches only
 * when its snapshot's versions changed, and as soon as that group is built (groups are built in parallel, so the
 * first clients are pushed while other groups are still being built).
 *
 * <p>A group built from the previous generation is patched with {@link SnapshotSource#changesSince} (the
 * resources a change touched); any other group, or one whose source cannot tell, is translated whole.
 *
 * <p>Serialization happens once per resource version: every resource built is looked up by name and content in a
 * pool shared by all groups and generations, and an equal one is reused with its packed bytes, whatever group or
 * client it serves. The pool holds its resources weakly: one no live snapshot holds any more leaves it with the
 * next garbage collection that finds it unreachable, so nothing walks the snapshots to clean it.
 *
 * <p>Thread-safety: {@link #publish} and the registration of a watch serialize on one lock; within a publish,
 * groups are built on several threads, each group by one, and a new group's first build runs outside the lock.
 * Listeners are called from those threads and must not block. {@link Watch#current()} reads a volatile field.
 */
public final class SnapshotCache implements ConfigWatcher {
    private static final Logger LOG = Logger.getLogger(SnapshotCache.class);

    private final Object lock = new Object();
    private final Map<NodeGroup, Group> groups = new ConcurrentHashMap<>();
    /** Written under {@link #lock}; read without it only for diagnostics. */
    private volatile SnapshotSource source;
    /** Resources by name and content; holds at least every resource of a live snapshot. */
    private final WeakInterner<PoolKey, Resource> pool = new WeakInterner<>();

    /** Content equality of a protobuf message is deep, but its hash code is memoized by the message. */
    private record PoolKey(String name, Message message) {
    }

    private static final class Group {
        final NodeGroup key;
        volatile Snapshot snapshot;
        /** The generation {@link #snapshot} was built from; a failed build leaves it behind. */
        SnapshotSource builtFrom;
        final Set<WatchImpl> watches = ConcurrentHashMap.newKeySet();
        /** Watches moved here by the publish in progress; they hear this group's snapshot even if it is unchanged. */
        // @GuardedBy("lock")
        final List<WatchImpl> arrived = new ArrayList<>();

        Group(NodeGroup key, Snapshot snapshot, SnapshotSource builtFrom) {
            this.key = key;
            this.snapshot = snapshot;
            this.builtFrom = builtFrom;
        }
    }

    private final class WatchImpl implements Watch {
        /** The group the client asked as; {@link #group} is the one serving it in the current generation. */
        final NodeGroup requested;
        /** Changed only under {@link #lock}, by a publish. */
        volatile Group group;
        final SnapshotListener listener;
        final AtomicBoolean open = new AtomicBoolean(true);

        WatchImpl(NodeGroup requested, Group group, SnapshotListener listener) {
            this.requested = requested;
            this.group = group;
            this.listener = listener;
        }

        @Override
        public Snapshot current() {
            return group.snapshot;
        }

        @Override
        public NodeGroup group() {
            return group.key;
        }

        @Override
        public void close() {
            if (!open.compareAndSet(true, false)) {
                return;
            }
            synchronized (lock) {
                leave(group, this);
                if (groups.isEmpty()) {
                    pool.clear();
                }
            }
        }
    }

    /** A node group's first build in progress, shared by the watches that wait for it. */
    private record FirstBuild(SnapshotSource source, CompletableFuture<Snapshot> snapshot) {
    }

    private final Map<NodeGroup, FirstBuild> firstBuilds = new ConcurrentHashMap<>();

    /** What {@link #standBy} prepares in each group it keeps built; null while the cache does not stand by. */
    private volatile java.util.function.BiConsumer<NodeGroup, Snapshot> standby;
    /** The groups the current generation names for standing by; kept without watches. */
    // @GuardedBy("lock")
    private Set<NodeGroup> standbyKeys = Set.of();

    /**
     * Keeps every node group the current generation names in {@link SnapshotSource#standbyGroups} built whether
     * or not anyone watches it, now and after every publish, and hands each snapshot built for one to
     * {@code prepare} (which may make ready what its first response needs: an istiod's shares split and encoded).
     * A replica standing by thus answers clients that move to it from another replica from snapshots it already
     * has, instead of translating every cluster cold while all of them reconnect at once. Such groups are rebuilt
     * on each publish like watched ones; one the next generation no longer names is dropped when nobody watches it.
     * Memory: the snapshots of every registered cluster, as the replica serving those clients holds.
     */
    public void standBy(java.util.function.BiConsumer<NodeGroup, Snapshot> prepare) {
        synchronized (lock) {
            standby = prepare;
            if (source != null) {
                keepStandbyBuilt(source);
            }
        }
    }

    /** Builds the standby groups {@code src} names that are missing, prepares them, drops those it no longer names. */
    // @GuardedBy("lock")
    private void keepStandbyBuilt(SnapshotSource src) {
        java.util.function.BiConsumer<NodeGroup, Snapshot> prepare = standby;
        if (prepare == null) {
            return;
        }
        Set<NodeGroup> wanted = Set.copyOf(src.standbyGroups());
        standbyKeys = wanted;
        for (Group g : List.copyOf(groups.values())) {
            if (g.watches.isEmpty() && !wanted.contains(g.key)) {
                groups.remove(g.key, g);
            }
        }
        wanted.stream().filter(k -> !groups.containsKey(k) && src.clusters().contains(k.cluster())).toList()
                .parallelStream().forEach(k -> {
                    try {
                        groups.put(k, new Group(k, build(k, src), src));
                    } catch (SnapshotUnavailableException e) {
                        LOG.errorf(e.getCause(), "standing by without %s: %s", k, e.getMessage());
                    }
                });
        wanted.stream().map(groups::get).filter(g -> g != null && g.builtFrom == src).toList().parallelStream()
                .forEach(g -> {
                    try {
                        prepare.accept(g.key, g.snapshot);
                    } catch (RuntimeException e) {
                        LOG.errorf(e, "could not prepare %s ahead of its clients", g.key);
                    }
                });
    }

    /**
     * Opens a watch. A node group nobody watches yet is built first, outside the cache's lock, so the first
     * clients of many groups (every istiod of the federation connecting after a restart) are translated in
     * parallel while publishes and other watches go on; clients of the same group wait for one build. Should a
     * publish land meanwhile, the group is built again from that generation under the lock.
     */
    @Override
    public Watch watch(NodeGroup requested, SnapshotListener listener) {
        SnapshotSource src;
        NodeGroup key;
        synchronized (lock) {
            requireRegistered(requested);
            key = source.groupFor(requested);
            Group group = groups.get(key);
            if (group != null) {
                return open(requested, group, listener);
            }
            src = source;
        }
        Snapshot built = firstBuild(key, src);
        synchronized (lock) {
            requireRegistered(requested);
            NodeGroup now = source == src ? key : source.groupFor(requested);
            Group group = groups.get(now);
            if (group == null) {
                group = source == src ? new Group(now, built, src) : new Group(now, build(now, source), source);
                groups.put(now, group);
            }
            return open(requested, group, listener);
        }
    }

    // @GuardedBy("lock")
    private void requireRegistered(NodeGroup key) {
        if (source == null || !source.clusters().contains(key.cluster())) {
            throw new UnknownClusterException(key.cluster());
        }
    }

    // @GuardedBy("lock")
    private WatchImpl open(NodeGroup requested, Group group, SnapshotListener listener) {
        WatchImpl w = new WatchImpl(requested, group, listener);
        group.watches.add(w);
        return w;
    }

    /** Takes a watch off its group and drops the group when it was the last. */
    // @GuardedBy("lock")
    private void leave(Group group, WatchImpl w) {
        group.watches.remove(w);
        if (group.watches.isEmpty() && !(standby != null && standbyKeys.contains(group.key))) {
            groups.remove(group.key, group);
        }
    }

    /**
     * Moves every watch whose group {@code next} names differently to that group, building a group nobody
     * watched yet from {@code next} (a group that cannot be built keeps the watch where it was). Returns the groups
     * still watched, each once.
     */
    // @GuardedBy("lock")
    private List<Group> regroup(List<Group> live, SnapshotSource next) {
        for (Group group : live) {
            for (WatchImpl w : List.copyOf(group.watches)) {
                NodeGroup key = next.groupFor(w.requested);
                if (key.equals(group.key)) {
                    continue;
                }
                Group target = groups.get(key);
                if (target == null) {
                    try {
                        target = new Group(key, build(key, next), next);
                    } catch (SnapshotUnavailableException e) {
                        LOG.errorf(e.getCause(), "keeping a client of %s there: %s", group.key, e.getMessage());
                        continue;
                    }
                    groups.put(key, target);
                }
                leave(group, w);
                target.watches.add(w);
                w.group = target;
                target.arrived.add(w);
            }
        }
        return List.copyOf(groups.values());
    }

    private Snapshot firstBuild(NodeGroup key, SnapshotSource src) {
        CompletableFuture<Snapshot> mine = new CompletableFuture<>();
        FirstBuild shared = firstBuilds.compute(key, (k, running) ->
                running != null && running.source() == src ? running : new FirstBuild(src, mine));
        if (shared.snapshot() == mine) {
            try {
                mine.complete(build(key, src));
            } catch (RuntimeException e) {
                mine.completeExceptionally(e);
            } finally {
                firstBuilds.remove(key, shared);
            }
        }
        try {
            return shared.snapshot().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * Makes {@code next} the current generation: rebuilds every live group's snapshot, notifies the watches of
     * groups whose snapshot changed, and closes the watches of clusters that are no longer registered. A group
     * whose snapshot cannot be built keeps its last good one (the failure is logged).
     */
    public void publish(SnapshotSource next) {
        synchronized (lock) {
            SnapshotSource previous = source;
            source = next;
            Set<String> clusters = next.clusters();
            List<Group> live = new ArrayList<>();
            for (Group group : List.copyOf(groups.values())) {
                if (!clusters.contains(group.key.cluster())) {
                    groups.remove(group.key);
                    for (WatchImpl w : List.copyOf(group.watches)) {
                        w.open.set(false);
                        w.listener.onClusterRemoved(group.key.cluster());
                    }
                    group.watches.clear();
                } else {
                    live.add(group);
                }
            }
            live = regroup(live, next);
            // Building is the expensive, pure part: run it on all cores, and notify each group when it is built.
            // Envoy groups first: their pushes are small and latency-bound, an istiod's is its whole state.
            live.stream().filter(g -> g.key.kind() == NodeGroup.Kind.ENVOY).toList().parallelStream()
                    .forEach(group -> rebuild(group, previous, next));
            live.stream().filter(g -> g.key.kind() != NodeGroup.Kind.ENVOY).toList().parallelStream()
                    .forEach(group -> rebuild(group, previous, next));
            keepStandbyBuilt(next);
        }
    }

    private void rebuild(Group group, SnapshotSource previous, SnapshotSource next) {
        if (group.builtFrom == next) { // built by regroup for the watches that moved to it
            notifyArrived(group);
            return;
        }
        Snapshot built;
        try {
            SnapshotSource.Changes changes = null;
            if (previous != null && group.builtFrom == previous) {
                try {
                    changes = next.changesSince(previous, group.key);
                } catch (RuntimeException e) {
                    LOG.debugf(e, "%s: no changes from the previous generation, building it whole", group.key);
                }
            }
            built = changes == null ? build(group.key, next) : patch(group.key, group.snapshot, changes);
        } catch (SnapshotUnavailableException e) {
            LOG.errorf(e.getCause(), "keeping the last good configuration of %s: %s", group.key, e.getMessage());
            notifyArrived(group);
            return;
        }
        group.builtFrom = next;
        if (!built.equals(group.snapshot)) {
            group.arrived.clear();
            group.snapshot = built;
            for (WatchImpl w : group.watches) {
                w.listener.onSnapshot(built);
            }
        }
        notifyArrived(group);
    }

    private static void notifyArrived(Group group) {
        for (WatchImpl w : group.arrived) {
            w.listener.onSnapshot(group.snapshot);
        }
        group.arrived.clear();
    }

    /**
     * The current snapshot a client asking as {@code requested} is served (for diagnostics): that of the live group
     * {@link SnapshotSource#groupFor} names for it, or null when nobody watches that group.
     */
    public Snapshot snapshot(NodeGroup requested) {
        SnapshotSource src = source;
        Group g = groups.get(src == null ? requested : src.groupFor(requested));
        return g == null ? null : g.snapshot;
    }

    /**
     * What a client asking as {@code requested} would be served now, for diagnostics of a cluster whose clients are
     * not connected (local mode has no istiod): the live group's snapshot, else one built from the current source
     * and not kept (no group is created, nothing is interned). Null when the source holds no such cluster.
     */
    public Snapshot preview(NodeGroup requested) {
        SnapshotSource src;
        NodeGroup key;
        synchronized (lock) {
            if (source == null || !source.clusters().contains(requested.cluster())) {
                return null;
            }
            key = source.groupFor(requested);
            Group live = groups.get(key);
            if (live != null) {
                return live.snapshot;
            }
            src = source;
        }
        Map<String, TypeSnapshot> types = new HashMap<>();
        src.resources(key).forEach((typeUrl, byName) -> types.put(TypeUrls.key(typeUrl), TypeSnapshot.of(
                byName.entrySet().stream().map(e -> Resource.pack(e.getKey(), e.getValue())).toList())));
        return Snapshot.of(types);
    }

    /** Node groups with at least one open watch. */
    public Set<NodeGroup> liveGroups() {
        return Set.copyOf(groups.keySet());
    }

    /** Open watches over all groups. */
    public int watchCount() {
        return groups.values().stream().mapToInt(g -> g.watches.size()).sum();
    }

    /** How many resources were packed (serialized) since start: grows once per new resource version. */
    public long serializations() {
        return pool.made();
    }

    /** Resources pooled for reuse: those of live snapshots and any not yet collected. */
    public int pooledResources() {
        return pool.size();
    }

    private Snapshot build(NodeGroup key, SnapshotSource src) {
        Map<String, Map<String, Message>> raw;
        try {
            raw = src.resources(key);
        } catch (SnapshotUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SnapshotUnavailableException("could not build the configuration of " + key + ": " + e.getMessage(), e);
        }
        Map<String, TypeSnapshot> types = new HashMap<>();
        for (Map.Entry<String, Map<String, Message>> type : raw.entrySet()) {
            List<Resource> resources = new ArrayList<>(type.getValue().size());
            for (Map.Entry<String, Message> e : type.getValue().entrySet()) {
                resources.add(intern(e.getKey(), e.getValue()));
            }
            types.put(TypeUrls.key(type.getKey()), TypeSnapshot.of(resources));
        }
        try {
            return Snapshot.of(types);
        } catch (InconsistentSnapshotException e) {
            throw new SnapshotUnavailableException("could not build the configuration of " + key + ": " + e.getMessage(), e);
        }
    }

    private Snapshot patch(NodeGroup key, Snapshot base, SnapshotSource.Changes changes) {
        Map<String, TypeSnapshot> replaced = new HashMap<>();
        Map<String, List<String>> putNames = new HashMap<>();
        Map<String, Set<String>> removedNames = new HashMap<>();
        Set<String> typeKeys = new HashSet<>();
        changes.put().keySet().forEach(t -> typeKeys.add(TypeUrls.key(t)));
        changes.removed().keySet().forEach(t -> typeKeys.add(TypeUrls.key(t)));
        Map<String, Map<String, Message>> put = new HashMap<>();
        changes.put().forEach((t, m) -> put.put(TypeUrls.key(t), m));
        Map<String, Set<String>> removed = new HashMap<>();
        changes.removed().forEach((t, m) -> removed.put(TypeUrls.key(t), m));
        for (String typeKey : typeKeys) {
            Map<String, Message> puts = put.getOrDefault(typeKey, Map.of());
            Set<String> removes = removed.getOrDefault(typeKey, Set.of());
            TypeSnapshot before = base.resources(typeKey);
            List<Resource> resources = new ArrayList<>(puts.size());
            puts.forEach((name, message) -> {
                Resource r = intern(name, message);
                if (before.get(name) != r) {
                    resources.add(r);
                }
            });
            TypeSnapshot after = before.with(resources, removes);
            if (after != before) {
                replaced.put(typeKey, after);
                putNames.put(typeKey, resources.stream().map(Resource::name).toList());
                removedNames.put(typeKey, removes);
            }
        }
        try {
            return base.with(replaced, putNames, removedNames);
        } catch (InconsistentSnapshotException e) {
            throw new SnapshotUnavailableException("could not build the configuration of " + key + ": " + e.getMessage(), e);
        }
    }

    private Resource intern(String name, Message message) {
        return pool.intern(new PoolKey(name, message), k -> Resource.pack(name, message));
    }
}
