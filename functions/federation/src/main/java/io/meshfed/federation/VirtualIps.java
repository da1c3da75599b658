package io.meshfed.federation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Stable virtual IPs in 240.0.0.0/4 (the reserved "class E" block, never routed), one per federated host name.
 *
 * <p>The scheme, so that anyone can reproduce it: a host's <em>home slot</em> is
 * {@code 1 + floorMod(mix(fnv1a64(host)), 2^28 - 2)}, where {@code fnv1a64} is 64-bit FNV-1a over the host's
 * (ASCII) characters and {@code mix} is the SplitMix64 finalizer; slot {@code s} is the address
 * {@code 0xF0000000 | s}, so slots run from 240.0.0.1 to 255.255.255.254 (the network and broadcast addresses are
 * never used). Collisions are resolved by linear probing in a fixed order: hosts are sorted by (home slot, host
 * name) and each takes the first slot at or after its home that is above the slot of the host before it. The
 * result is therefore a function of the <em>set</em> of hosts alone, whatever order they arrive in. A host keeps
 * its address as long as no new host lands in the same probe run ahead of it; with 2^28 slots and 10^5 hosts a
 * run rarely holds more than one host. In the (astronomically unlikely) case that probing runs past the last
 * slot, the overflowing hosts take the lowest free slots, in the same order.
 *
 * <p>Not thread-safe: owned by one {@link FederationState}.
 */
final class VirtualIps {
    static final int SLOTS = (1 << 28) - 2;
    private static final int CLASS_E = 0xF0000000;

    /**
     * A host's place in the probe order (ordered by home slot, then host name). {@code slot} mirrors the host's
     * value in {@link #order} (written wherever that value is) so that an address lookup needs no tree search.
     */
    private static final class Placement implements Comparable<Placement> {
        private final int home;
        private final String host;
        private int slot = -1;
        private String address;

        Placement(int home, String host) {
            this.home = home;
            this.host = host;
        }

        int home() {
            return home;
        }

        String host() {
            return host;
        }

        String address() {
            if (address == null) {
                address = VirtualIps.address(slot);
            }
            return address;
        }

        void slot(int newSlot) {
            if (newSlot != slot) {
                slot = newSlot;
                address = null;
            }
        }

        @Override
        public int compareTo(Placement o) {
            int c = Integer.compare(home, o.home);
            return c != 0 ? c : host.compareTo(o.host);
        }
    }

    /** Sorted probe order -> assigned slot. */
    private final TreeMap<Placement, Integer> order = new TreeMap<>();
    private final Map<String, Placement> placements = new HashMap<>();
    private boolean overflowed;
    /** Usable slots 1..maxSlot; {@link #SLOTS} in production, smaller in tests to force collisions. */
    private final int maxSlot;

    VirtualIps() {
        this(SLOTS);
    }

    VirtualIps(int slots) {
        if (slots < 1 || slots > SLOTS) {
            throw new IllegalArgumentException("slots must be in 1.." + SLOTS + ", got " + slots);
        }
        this.maxSlot = slots;
    }

    /** The home slot of {@code host} (see the class comment). */
    static int homeSlot(String host) {
        return homeSlot(host, SLOTS);
    }

    static int homeSlot(String host, int slots) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < host.length(); i++) {
            h ^= host.charAt(i);
            h *= 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h = h ^ (h >>> 31);
        return 1 + (int) Math.floorMod(h, (long) slots);
    }

    static String address(int slot) {
        int a = CLASS_E | slot;
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }

    /** The address currently assigned to {@code host}, or null if it is not allocated. */
    String addressOf(String host) {
        Placement p = placements.get(host);
        return p == null ? null : p.address();
    }

    /** The slot currently assigned to {@code host}, or -1. */
    int slotOf(String host) {
        Placement p = placements.get(host);
        return p == null ? -1 : p.slot;
    }

    void clear() {
        order.clear();
        placements.clear();
        overflowed = false;
    }

    int size() {
        return placements.size();
    }

    /**
     * Adds and removes hosts; returns the hosts (still allocated) whose address is new or changed (when this
     * allocator was empty: a read-only view of {@code added}).
     */
    Set<String> update(Set<String> added, Set<String> removed) {
        if (placements.isEmpty() && fill(added)) {
            return Collections.unmodifiableSet(added);
        }
        // host -> slot before this update (-1 for new hosts); filtered at the end, since one host can move and
        // move back while several probe runs are re-walked
        Map<String, Integer> changed = new HashMap<>();
        List<Placement> starts = new ArrayList<>();
        for (String host : removed) {
            Placement p = placements.remove(host);
            if (p != null) {
                order.remove(p);
                starts.add(p);
            }
        }
        for (String host : added) {
            if (placements.containsKey(host)) {
                continue;
            }
            Placement p = new Placement(homeSlot(host, maxSlot), host);
            placements.put(host, p);
            order.put(p, -1);
            p.slot(-1);
            starts.add(p);
            changed.put(host, -1);
        }
        if (overflowed || starts.size() > 64 || starts.size() > order.size() / 8) {
            reassignAll(changed);
        } else {
            for (Placement start : starts) {
                if (!reprobeFrom(start, changed)) {
                    reassignAll(changed);
                    break;
                }
            }
        }
        Set<String> moved = new HashSet<>();
        for (Map.Entry<String, Integer> e : changed.entrySet()) {
            if (slotOf(e.getKey()) != e.getValue() && placements.containsKey(e.getKey())) {
                moved.add(e.getKey());
            }
        }
        return moved;
    }

    /**
     * Allocates {@code hosts} in this empty allocator with one sort instead of one tree insertion each; false
     * (and nothing allocated) if probing would run past the last slot, which the general path handles.
     */
    private boolean fill(Set<String> hosts) {
        Placement[] byIndex = new Placement[hosts.size()];
        // (home slot, index) packed into one long: a primitive sort, then equal homes put in host order
        long[] keys = new long[byIndex.length];
        int n = 0;
        for (String host : hosts) {
            byIndex[n] = new Placement(homeSlot(host, maxSlot), host);
            keys[n] = (long) byIndex[n].home() << 32 | n;
            n++;
        }
        Arrays.sort(keys);
        List<Placement> sorted = new ArrayList<>(n);
        for (long key : keys) {
            sorted.add(byIndex[(int) key]);
        }
        for (int i = 0; i < n; ) {
            int j = i + 1;
            while (j < n && sorted.get(j).home() == sorted.get(i).home()) {
                j++;
            }
            if (j - i > 1) {
                sorted.subList(i, j).sort(null);
            }
            i = j;
        }
        List<Map.Entry<Placement, Integer>> entries = new ArrayList<>(sorted.size());
        int prev = 0;
        for (Placement p : sorted) {
            int slot = Math.max(p.home(), prev + 1);
            if (slot > maxSlot) {
                return false;
            }
            entries.add(Map.entry(p, slot));
            prev = slot;
        }
        for (Map.Entry<Placement, Integer> e : entries) {
            e.getKey().slot(e.getValue());
            placements.put(e.getKey().host(), e.getKey());
        }
        order.putAll(new SortedEntries<>(entries));
        return true;
    }

    /** Re-walks the probe order from {@code start} until an assignment is unchanged; false on overflow. */
    private boolean reprobeFrom(Placement start, Map<String, Integer> changed) {
        Map.Entry<Placement, Integer> before = order.lowerEntry(start);
        int prev = before == null ? 0 : before.getValue();
        Map.Entry<Placement, Integer> e = order.ceilingEntry(start);
        while (e != null) {
            int slot = Math.max(e.getKey().home(), prev + 1);
            if (slot > maxSlot) {
                return false;
            }
            if (slot == e.getValue()) {
                return true;
            }
            order.put(e.getKey(), slot); // navigation entries are snapshots: write through the map
            e.getKey().slot(slot);
            changed.putIfAbsent(e.getKey().host(), e.getValue());
            prev = slot;
            e = order.higherEntry(e.getKey());
        }
        return true;
    }

    private void reassignAll(Map<String, Integer> changed) {
        int prev = 0;
        List<Map.Entry<Placement, Integer>> overflow = new ArrayList<>();
        List<Integer> overflowOld = new ArrayList<>();
        for (Map.Entry<Placement, Integer> e : order.entrySet()) {
            int slot = Math.max(e.getKey().home(), prev + 1);
            if (slot > maxSlot) {
                overflow.add(e);
                overflowOld.add(e.getValue());
                e.setValue(-1);
                e.getKey().slot(-1);
                continue;
            }
            assign(e, slot, changed);
            prev = slot;
        }
        overflowed = !overflow.isEmpty();
        if (overflowed) {
            java.util.BitSet used = new java.util.BitSet();
            for (int slot : order.values()) {
                if (slot > 0) {
                    used.set(slot);
                }
            }
            int next = 1;
            for (int i = 0; i < overflow.size(); i++) {
                next = used.nextClearBit(next);
                if (next > maxSlot) {
                    throw new IllegalStateException("240.0.0.0/4 is exhausted");
                }
                used.set(next);
                overflow.get(i).setValue(next);
                overflow.get(i).getKey().slot(next);
                changed.putIfAbsent(overflow.get(i).getKey().host(), overflowOld.get(i));
            }
        }
    }

    private static void assign(Map.Entry<Placement, Integer> e, int slot, Map<String, Integer> changed) {
        if (e.getValue() != slot) {
            changed.putIfAbsent(e.getKey().host(), e.getValue());
            e.setValue(slot);
            e.getKey().slot(slot);
        }
    }
}
