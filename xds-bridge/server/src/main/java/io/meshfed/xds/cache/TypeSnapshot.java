package io.meshfed.xds.cache;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every resource of one type for one node group, by name, with a version that digests all names and resource
 * versions (so an unchanged set keeps its version and a restart reproduces it).
 *
 * <p>The version is the sum, per 64-bit half, of each resource's name-and-version digest, so {@link #with} derives
 * the next snapshot of a type from the changed resources alone instead of re-digesting every resource.
 *
 * <p>A snapshot derived by {@link #with} also remembers the version it was derived from and the names that
 * differ from it ({@link #changedSince}), so a client that holds exactly the previous version can be brought up
 * to date by looking at those names only. It keeps no reference to the previous snapshot: generations never
 * chain in memory.
 *
 * <p>For state-of-the-world responses that carry every resource (an istiod's ServiceEntries), {@link #sotwChunks}
 * gives the resources' encoded response entries in chunks: runs of consecutive resources whose boundaries depend
 * only on resource names, so the same run in two snapshots (two istiods' views, or two generations of one) is the
 * same chunk, encoded once and shared by content. A change then re-encodes only the chunks it touches, and a
 * response is assembled from shared chunks without copying them. A snapshot derived by {@link #with} from one
 * whose chunks exist takes over that snapshot's chunks except those its changed names fall in (it holds the
 * predecessor's layout, not the predecessor, until it has chunked), so a publish does not walk every resource of
 * every node group.
 *
 * <p>For config sources that each carry one part of a type ({@link #part}: an istiod reading its ServiceEntries
 * over several sources), the snapshot splits its resources into parts by a hash of the name, once per snapshot,
 * and a snapshot derived by {@link #with} from one that was split rebuilds only the parts its changed names fall
 * in. Each part has its own version, a digest sum like the snapshot's, so an unchanged part keeps its version.
 */
public final class TypeSnapshot {
    public static final TypeSnapshot EMPTY = of(List.of());

    private final String version;
    private final SortedArrayMap<Resource> resources;
    private final long sumHigh;
    private final long sumLow;
    private final String previousVersion;
    private final Set<String> changedNames;
    private volatile Chunks chunks;
    /** The predecessor's names and chunks while this snapshot has not chunked yet (then dropped). */
    private volatile Inherited inherited;
    /** The resources split into parts ({@link #part}), computed on first use for one count. */
    private volatile Partition partition;
    /** The predecessor's parts while this snapshot has not split yet (then dropped). */
    private volatile Partition inheritedPartition;

    /**
     * One part of a type: its resources in name order, its version (a digest sum of their names and versions), and
     * its state-of-the-world entries in chunks shared by content ({@link #sotwChunks}), made on first use.
     */
    public static final class Part {
        private final List<Resource> resources;
        private final String version;
        private volatile List<ByteBuffer> chunks;

        Part(List<Resource> resources, String version) {
            this.resources = resources;
            this.version = version;
        }

        public List<Resource> resources() {
            return resources;
        }

        public String version() {
            return version;
        }

        /**
         * The part's resources' {@link Resource#sotwEntry} in name order, in chunks cut where
         * {@link TypeSnapshot#sotwChunks} cuts them and shared by content with every other part and snapshot: the
         * same run of resources in two istiods' parts, or in two generations of one, is one chunk, so a change
         * encodes only the chunk it falls in, once for every istiod whose part holds that run.
         */
        public List<ByteBuffer> sotwChunks() {
            List<ByteBuffer> c = chunks;
            if (c == null) {
                List<ByteBuffer> out = new ArrayList<>();
                chunk(resources::get, 0, resources.size(), out, new IntList());
                c = List.copyOf(out);
                chunks = c;
            }
            return c;
        }
    }

    private record Partition(int count, Part[] parts) {
    }

    /** Chunks and the position after each one's last resource. */
    private record Chunks(List<ByteBuffer> buffers, int[] ends) {
    }

    private record Inherited(SortedArrayMap<Resource> resources, Chunks chunks) {
    }

    /** A chunk ends after a resource whose mixed name hash has these bits clear (about 64 resources a chunk). */
    static final int CHUNK_MASK = 63;
    /** ...or when it reaches this many resources, so no run of unlucky names makes one huge chunk. */
    static final int CHUNK_MAX = 512;
    private static final WeakInterner<ChunkKey, ByteBuffer> CHUNKS = new WeakInterner<>();

    /** A chunk's content: the digest sum and count of its resources' names and versions (their order is by name). */
    private record ChunkKey(long high, long low, int count) {
    }

    private TypeSnapshot(SortedArrayMap<Resource> resources, long sumHigh, long sumLow, String previousVersion,
            Set<String> changedNames) {
        this.version = Digests.hex(sumHigh, sumLow, resources.size());
        this.resources = resources;
        this.sumHigh = sumHigh;
        this.sumLow = sumLow;
        this.previousVersion = previousVersion;
        this.changedNames = changedNames;
    }

    public static TypeSnapshot of(List<Resource> resources) {
        Map<String, Resource> byName = new HashMap<>(); // sorted once, by SortedArrayMap.copyOf
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
        return new TypeSnapshot(SortedArrayMap.copyOf(byName), high, low, null, null);
    }

    /**
     * This snapshot with {@code put} added or replacing resources of the same name, and {@code removed} names left
     * out (a name both put and removed is put). Costs the changed resources plus one copy of the sorted arrays.
     */
    public TypeSnapshot with(Collection<Resource> put, Collection<String> removed) {
        if (put.isEmpty() && removed.isEmpty()) {
            return this;
        }
        Map<String, Resource> puts = new HashMap<>();
        for (Resource r : put) {
            puts.put(r.name(), r);
        }
        Set<String> changed = new HashSet<>();
        long high = sumHigh;
        long low = sumLow;
        for (String name : removed) {
            Resource old = resources.get(name);
            if (old != null && !puts.containsKey(name)) {
                high -= old.digestHigh();
                low -= old.digestLow();
                changed.add(name);
            }
        }
        for (Resource r : puts.values()) {
            Resource old = resources.get(r.name());
            if (old != null) {
                high -= old.digestHigh();
                low -= old.digestLow();
            }
            high += r.digestHigh();
            low += r.digestLow();
            changed.add(r.name());
        }
        TypeSnapshot next = new TypeSnapshot(resources.with(puts, removed), high, low, version, Set.copyOf(changed));
        Chunks mine = chunks;
        if (mine != null) {
            next.inherited = new Inherited(resources, mine);
        }
        next.inheritedPartition = partition;
        return next;
    }

    /**
     * The zero-based part of {@code name} among {@code count} parts: a spread of the String hash (Fibonacci
     * hashing). Java's String hash is specified, so every process, replica and restart agrees.
     */
    public static int partOf(String name, int count) {
        int mixed = name.hashCode() * 0x9E3779B9;
        return (int) (((mixed & 0xffffffffL) * count) >>> 32);
    }

    /**
     * Part {@code index} (zero-based) of this snapshot's resources split into {@code count} parts by
     * {@link #partOf}. The split is computed once per snapshot (for the count last asked for); a snapshot derived
     * from a split one re-splits only the parts its changed names fall in and shares the others.
     */
    public Part part(int count, int index) {
        Partition p = partition;
        if (p == null || p.count() != count) {
            Partition from = inheritedPartition;
            p = from != null && from.count() == count && changedNames != null ? partitionFrom(from) : partitionAll(count);
            partition = p;
            inheritedPartition = null;
        }
        return p.parts()[index];
    }

    private Partition partitionAll(int count) {
        List<List<Resource>> lists = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            lists.add(new ArrayList<>(resources.size() / count + 16));
        }
        for (int i = 0; i < resources.size(); i++) {
            lists.get(partOf(resources.keyAt(i), count)).add(resources.valueAt(i));
        }
        Part[] parts = new Part[count];
        for (int i = 0; i < count; i++) {
            parts[i] = partOfList(lists.get(i));
        }
        return new Partition(count, parts);
    }

    /** The predecessor's parts, those the changed names fall in rebuilt from its resources and the changes. */
    private Partition partitionFrom(Partition previous) {
        int count = previous.count();
        Part[] parts = previous.parts().clone();
        Map<Integer, List<String>> changedByPart = new HashMap<>();
        for (String name : changedNames) {
            changedByPart.computeIfAbsent(partOf(name, count), k -> new ArrayList<>()).add(name);
        }
        changedByPart.forEach((index, names) -> {
            Set<String> changed = new HashSet<>(names);
            List<Resource> next = new ArrayList<>(parts[index].resources().size() + names.size());
            for (Resource r : parts[index].resources()) {
                if (!changed.contains(r.name())) {
                    next.add(r);
                }
            }
            for (String name : names) {
                Resource r = resources.get(name);
                if (r != null) {
                    next.add(r);
                }
            }
            next.sort(java.util.Comparator.comparing(Resource::name));
            parts[index] = partOfList(next);
        });
        return new Partition(count, parts);
    }

    private static Part partOfList(List<Resource> list) {
        return new Part(java.util.Collections.unmodifiableList(list), versionOf(list));
    }

    /**
     * The names whose resource differs between the snapshot of version {@code base} and this one (added,
     * replaced or removed), or null when this snapshot was not derived directly from that version.
     */
    public Set<String> changedSince(String base) {
        return previousVersion != null && previousVersion.equals(base) ? changedNames : null;
    }

    /**
     * The version of a response that carries exactly {@code included} (a named subscription's view, a part): the
     * same digest sum as a snapshot's version, so the same resources have the same version however they are chosen.
     */
    public static String versionOf(List<Resource> included) {
        long high = 0;
        long low = 0;
        for (Resource r : included) {
            high += r.digestHigh();
            low += r.digestLow();
        }
        return Digests.hex(high, low, included.size());
    }

    public String version() {
        return version;
    }

    /** By name, iterated in name order; immutable. */
    public Map<String, Resource> resources() {
        return resources;
    }

    /**
     * Every resource's {@link Resource#sotwEntry} in name order, concatenated into chunks shared by content with
     * other snapshots (computed on first use, then kept with this snapshot). The chunks are direct buffers, so a
     * connection writes them to its socket without another copy; they are read-only and must be duplicated before
     * a position or limit is changed. The garbage collector frees a chunk once no snapshot holds it.
     */
    public List<ByteBuffer> sotwChunks() {
        Chunks c = chunks;
        if (c == null) {
            Inherited from = inherited;
            c = from == null ? chunkAll() : chunkFrom(from.resources(), from.chunks());
            chunks = c;
            inherited = null;
        }
        return c.buffers();
    }

    private Chunks chunkAll() {
        List<ByteBuffer> out = new ArrayList<>();
        IntList ends = new IntList();
        chunk(resources::valueAt, 0, resources.size(), out, ends);
        return new Chunks(List.copyOf(out), ends.toArray());
    }

    /**
     * Chunks the resources {@code at} positions {@code from} to {@code to} (exclusive) of a sequence in name order
     * into {@code out}, the last chunk ending at {@code to}.
     */
    private static void chunk(java.util.function.IntFunction<Resource> at, int from, int to, List<ByteBuffer> out,
            IntList ends) {
        int start = from;
        long high = 0;
        long low = 0;
        for (int i = from; i < to; i++) {
            Resource r = at.apply(i);
            high += r.digestHigh();
            low += r.digestLow();
            if (r.endsChunk() || i + 1 - start == CHUNK_MAX || i + 1 == to) {
                out.add(chunkOf(at, start, i + 1, high, low));
                ends.add(i + 1);
                start = i + 1;
                high = 0;
                low = 0;
            }
        }
    }

    /**
     * This snapshot's chunks from its predecessor's: chunks none of the changed names falls in (or next to, for an
     * added name) are taken over as they are; each run of touched chunks is chunked anew from this snapshot's
     * resources between the untouched neighbours. The bytes are the same as {@link #chunk}'s.
     */
    private Chunks chunkFrom(SortedArrayMap<Resource> before, Chunks previous) {
        int[] prevEnds = previous.ends();
        int n = prevEnds.length;
        if (n == 0 || changedNames == null) {
            return chunkAll();
        }
        boolean[] touched = new boolean[n];
        for (String name : changedNames) {
            int p = before.indexOf(name);
            if (p >= 0) {
                touched[chunkAt(prevEnds, p)] = true;
            } else {
                int q = -p - 1;
                if (q > 0) {
                    touched[chunkAt(prevEnds, q - 1)] = true;
                }
                if (q < before.size()) {
                    touched[chunkAt(prevEnds, q)] = true;
                }
            }
        }
        List<ByteBuffer> out = new ArrayList<>(n + 4);
        IntList ends = new IntList();
        int shift = 0; // this snapshot's position minus the predecessor's, after the chunks handled so far
        for (int i = 0; i < n; ) {
            if (!touched[i]) {
                out.add(previous.buffers().get(i));
                ends.add(prevEnds[i] + shift);
                i++;
                continue;
            }
            int j = i;
            while (j + 1 < n && touched[j + 1]) {
                j++;
            }
            int from = i == 0 ? 0 : prevEnds[i - 1] + shift;
            // the next untouched chunk's first resource is unchanged: where it is now ends the run
            int to = j + 1 < n ? resources.indexOf(before.keyAt(prevEnds[j])) : resources.size();
            if (to > from) {
                chunk(resources::valueAt, from, to, out, ends);
            }
            shift = to - prevEnds[j];
            i = j + 1;
        }
        return new Chunks(List.copyOf(out), ends.toArray());
    }

    /** The chunk holding position {@code p}: the first whose end is past it. */
    private static int chunkAt(int[] ends, int p) {
        int i = Arrays.binarySearch(ends, p + 1);
        return i >= 0 ? i : -i - 1;
    }

    /** A growable list of ints. */
    private static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }

    static boolean endsChunk(String name) {
        int h = name.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return (h & CHUNK_MASK) == 0;
    }

    /**
     * The chunk of the resources at positions {@code from} (inclusive) to {@code to} (exclusive) of a sequence in
     * name order, whose names' and versions' digest sums are {@code high} and {@code low}.
     */
    private static ByteBuffer chunkOf(java.util.function.IntFunction<Resource> at, int from, int to, long high,
            long low) {
        return CHUNKS.intern(new ChunkKey(high, low, to - from), k -> {
            int size = 0;
            for (int i = from; i < to; i++) {
                size += at.apply(i).sotwEntry().size();
            }
            ByteBuffer bytes = ByteBuffer.allocateDirect(size);
            for (int i = from; i < to; i++) {
                at.apply(i).sotwEntry().copyTo(bytes);
            }
            return bytes.flip().asReadOnlyBuffer();
        });
    }

    public Resource get(String name) {
        return resources.get(name);
    }

    @Override
    public String toString() {
        return "TypeSnapshot[" + version + ", " + resources.size() + " resources]";
    }
}
