package io.meshfed.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VirtualIpsTest {

    @Test
    void addressesAreInClassEAndNeverNetworkOrBroadcast() {
        assertEquals("240.0.0.1", VirtualIps.address(1));
        assertEquals("255.255.255.254", VirtualIps.address(VirtualIps.SLOTS));
        for (int i = 0; i < 10_000; i++) {
            int slot = VirtualIps.homeSlot("svc-" + i + ".ns.svc.c.global");
            assertTrue(slot >= 1 && slot <= VirtualIps.SLOTS, "slot " + slot);
        }
    }

    @Test
    void homeSlotIsAStableFunctionOfTheHostName() {
        // Pinned: a change here changes every VIP in every mesh, which must be a deliberate, documented decision.
        assertEquals("254.136.189.76", VirtualIps.address(VirtualIps.homeSlot("reviews.shop.svc.clusterset.local")));
        assertEquals("255.250.196.48", VirtualIps.address(VirtualIps.homeSlot("reviews.shop.svc.east.global")));
    }

    @Test
    void collidingHostsGetDistinctAddressesInNameOrderWhateverTheArrivalOrder() {
        // Find two real host names with the same home slot (birthday bound: ~2^14 names for 2^28 slots).
        Map<Integer, String> seen = new HashMap<>();
        String first = null;
        String second = null;
        for (int i = 0; first == null; i++) {
            String host = "svc-" + i + ".ns.svc.cluster-a.global";
            String other = seen.putIfAbsent(VirtualIps.homeSlot(host), host);
            if (other != null) {
                first = other.compareTo(host) < 0 ? other : host;
                second = other.compareTo(host) < 0 ? host : other;
            }
        }
        int home = VirtualIps.homeSlot(first);
        VirtualIps forward = new VirtualIps();
        forward.update(Set.of(first), Set.of());
        forward.update(Set.of(second), Set.of());
        VirtualIps backward = new VirtualIps();
        backward.update(Set.of(second), Set.of());
        assertEquals(home, backward.slotOf(second), "alone, a host sits on its home slot");
        Set<String> moved = backward.update(Set.of(first), Set.of());
        assertEquals(Set.of(first, second), moved, "the earlier name takes the home slot and pushes the other on");
        for (VirtualIps v : List.of(forward, backward)) {
            assertEquals(home, v.slotOf(first));
            assertEquals(home + 1, v.slotOf(second));
        }
        backward.update(Set.of(), Set.of(first));
        assertEquals(home, backward.slotOf(second), "removing the winner gives the slot back");
    }

    @Test
    void incrementalUpdatesEqualAFreshAllocationOfTheSameSetEvenInACrowdedSpace() {
        // 64 slots, up to ~60 hosts: long probe runs and overflow past the last slot happen all the time.
        Random random = new Random(7);
        VirtualIps incremental = new VirtualIps(64);
        Set<String> hosts = new HashSet<>();
        for (int step = 0; step < 2_000; step++) {
            Set<String> added = new HashSet<>();
            Set<String> removed = new HashSet<>();
            int changes = 1 + random.nextInt(3);
            for (int k = 0; k < changes; k++) {
                String host = "h" + random.nextInt(80) + ".ns.svc.c.global";
                if (hosts.contains(host) && !added.contains(host)) {
                    removed.add(host);
                } else if (hosts.size() + added.size() < 60 && !removed.contains(host)) {
                    added.add(host);
                }
            }
            Map<String, Integer> before = slots(incremental, hosts);
            Set<String> changed = incremental.update(added, removed);
            hosts.addAll(added);
            hosts.removeAll(removed);
            VirtualIps fresh = new VirtualIps(64);
            fresh.update(hosts, Set.of());
            Set<Integer> used = new HashSet<>();
            for (String h : hosts) {
                int slot = incremental.slotOf(h);
                assertEquals(fresh.slotOf(h), slot, "step " + step + " host " + h);
                assertTrue(slot >= 1 && slot <= 64);
                assertTrue(used.add(slot), "duplicate slot " + slot);
                boolean reported = changed.contains(h);
                assertEquals(!Integer.valueOf(slot).equals(before.get(h)), reported, "change report for " + h);
            }
        }
    }

    @Test
    void differentHostsUsuallyGetDifferentHomes() {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            hosts.add("svc-" + i + ".ns.svc.c.global");
        }
        assertNotEquals(VirtualIps.homeSlot(hosts.get(0)), VirtualIps.homeSlot(hosts.get(1)));
        assertTrue(hosts.stream().map(VirtualIps::homeSlot).distinct().count() >= 999);
    }

    private static Map<String, Integer> slots(VirtualIps v, Set<String> hosts) {
        Map<String, Integer> m = new HashMap<>();
        for (String h : hosts) {
            m.put(h, v.slotOf(h));
        }
        return m;
    }
}
