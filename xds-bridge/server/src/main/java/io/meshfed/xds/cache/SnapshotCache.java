package io.meshfed.xds.cache;

import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Snapshots per node group, rebuilt from a {@link SnapshotSource} on every {@link #publish}, and the watches on
 * them.
 *
 * <p>Only groups with at least one open watch are kept: the last watch closing drops the group, so memory follows
 * the connected clients and nothing grows with connect/disconnect churn. A publish notifies a group's watches only
 * when its snapshot's versions changed.
 *
 * <p>Serialization happens once per resource version: every resource built during a publish (or a first watch) is
 * looked up by type, name and content among the resources of live snapshots, and an equal one is reused with its
 * packed bytes, whatever group or client it serves.
 *
 * <p>Thread-safety: {@link #publish} and {@link #watch} serialize on one lock; listeners are called under it and
 * must not block. {@link Watch#current()} reads a volatile field.
 */
public final class SnapshotCache implements ConfigWatcher {
    private static final Logger LOG = Logger.getLogger(SnapshotCache.class);

    private final Object lock = new Object();
    private final Map<NodeGroup, Group> groups = new ConcurrentHashMap<>();
    private final AtomicLong serializations = new AtomicLong();
    // @GuardedBy("lock")
    private SnapshotSource source;
    // @GuardedBy("lock"): resources referenced by live snapshots, by type key + name.
    private Map<String, List<Resource>> pool = new HashMap<>();

    private static final class Group {
        final NodeGroup key;
        volatile Snapshot snapshot;
        final Set<WatchImpl> watches = ConcurrentHashMap.newKeySet();

        Group(NodeGroup key, Snapshot snapshot) {
            this.key = key;
            this.snapshot = snapshot;
        }
    }

    private final class WatchImpl implements Watch {
        final Group group;
        final SnapshotListener listener;
        final AtomicBoolean open = new AtomicBoolean(true);

        WatchImpl(Group group, SnapshotListener listener) {
            this.group = group;
            this.listener = listener;
        }

        @Override
        public Snapshot current() {
            return group.snapshot;
        }

        @Override
        public void close() {
            if (!open.compareAndSet(true, false)) {
                return;
            }
            synchronized (lock) {
                group.watches.remove(this);
                if (group.watches.isEmpty()) {
                    groups.remove(group.key, group);
                }
            }
        }
    }

    @Override
    public Watch watch(NodeGroup key, SnapshotListener listener) {
        synchronized (lock) {
            if (source == null || !source.clusters().contains(key.cluster())) {
                throw new UnknownClusterException(key.cluster());
            }
            Group group = groups.get(key);
            if (group == null) {
                group = new Group(key, build(key, source, pool));
                groups.put(key, group);
            }
            WatchImpl w = new WatchImpl(group, listener);
            group.watches.add(w);
            return w;
        }
    }

    /**
     * Makes {@code next} the current generation: rebuilds every live group's snapshot, notifies the watches of
     * groups whose snapshot changed, and closes the watches of clusters that are no longer registered. A group
     * whose snapshot cannot be built keeps its last good one (the failure is logged).
     */
    public void publish(SnapshotSource next) {
        synchronized (lock) {
            source = next;
            Set<String> clusters = next.clusters();
            Map<String, List<Resource>> nextPool = new HashMap<>();
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
            // Translation is the expensive, pure part: run it on all cores; interning and notifying stay serial.
            Map<NodeGroup, Object> raw = new ConcurrentHashMap<>();
            live.parallelStream().forEach(g -> raw.put(g.key, translate(g.key, next)));
            for (Group group : live) {
                Snapshot built;
                try {
                    built = intern(group.key, raw.get(group.key), nextPool, pool);
                } catch (SnapshotUnavailableException e) {
                    LOG.errorf(e.getCause(), "keeping the last good configuration of %s: %s", group.key, e.getMessage());
                    addToPool(nextPool, group.snapshot);
                    continue;
                }
                if (!built.equals(group.snapshot)) {
                    group.snapshot = built;
                    for (WatchImpl w : group.watches) {
                        w.listener.onSnapshot(built);
                    }
                }
            }
            pool = nextPool;
        }
    }

    /** The current snapshot of a live group (for diagnostics), or null. */
    public Snapshot snapshot(NodeGroup key) {
        Group g = groups.get(key);
        return g == null ? null : g.snapshot;
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
        return serializations.get();
    }

    private Snapshot build(NodeGroup key, SnapshotSource src, Map<String, List<Resource>> into) {
        return build(key, src, into, into);
    }

    private Snapshot build(NodeGroup key, SnapshotSource src, Map<String, List<Resource>> into,
            Map<String, List<Resource>> previous) {
        return intern(key, translate(key, src), into, previous);
    }

    /** The source's resources for a group, or the failure (as a value, so parallel translation never throws). */
    private static Object translate(NodeGroup key, SnapshotSource src) {
        try {
            return src.resources(key);
        } catch (RuntimeException e) {
            return new SnapshotUnavailableException("could not build the configuration of " + key + ": " + e.getMessage(), e);
        }
    }

    private Snapshot intern(NodeGroup key, Object translated, Map<String, List<Resource>> into,
            Map<String, List<Resource>> previous) {
        if (translated instanceof SnapshotUnavailableException e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Message>> raw = (Map<String, Map<String, Message>>) translated;
        Map<String, TypeSnapshot> types = new HashMap<>();
        for (Map.Entry<String, Map<String, Message>> type : raw.entrySet()) {
            String typeKey = TypeUrls.key(type.getKey());
            List<Resource> resources = new ArrayList<>(type.getValue().size());
            for (Map.Entry<String, Message> e : type.getValue().entrySet()) {
                resources.add(intern(typeKey, e.getKey(), e.getValue(), into, previous));
            }
            types.put(typeKey, TypeSnapshot.of(resources));
        }
        try {
            return Snapshot.of(types);
        } catch (InconsistentSnapshotException e) {
            throw new SnapshotUnavailableException("could not build the configuration of " + key + ": " + e.getMessage(), e);
        }
    }

    private Resource intern(String typeKey, String name, Message message, Map<String, List<Resource>> into,
            Map<String, List<Resource>> previous) {
        String poolKey = typeKey + '\0' + name;
        Resource found = find(into.get(poolKey), message);
        if (found == null && previous != into) {
            found = find(previous.get(poolKey), message);
        }
        if (found == null) {
            found = Resource.pack(name, message);
            serializations.incrementAndGet();
        }
        addOnce(into.computeIfAbsent(poolKey, k -> new ArrayList<>(1)), found);
        return found;
    }

    private static Resource find(List<Resource> candidates, Message message) {
        if (candidates != null) {
            for (Resource r : candidates) {
                if (r.message().equals(message)) {
                    return r;
                }
            }
        }
        return null;
    }

    private static void addToPool(Map<String, List<Resource>> into, Snapshot snapshot) {
        snapshot.types().forEach((typeKey, t) -> t.resources().forEach((name, r) -> {
            addOnce(into.computeIfAbsent(typeKey + '\0' + name, k -> new ArrayList<>(1)), r);
        }));
    }

    private static void addOnce(List<Resource> list, Resource r) {
        for (Resource existing : list) {
            if (existing == r) {
                return;
            }
        }
        list.add(r);
    }
}
