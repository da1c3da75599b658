package io.meshfed.xds.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Every derived map equals a tree map given the same changes, in content and in iteration order. */
class SortedArrayMapTest {

    @Test
    void derivedMapsMatchATreeMapOverRandomChanges() {
        Random random = new Random(42);
        TreeMap<String, Integer> expected = new TreeMap<>();
        SortedArrayMap<Integer> actual = SortedArrayMap.empty();
        for (int round = 0; round < 2000; round++) {
            Map<String, Integer> put = new HashMap<>();
            List<String> removed = new ArrayList<>();
            int changes = random.nextInt(round % 50 == 0 ? 200 : 6);
            for (int i = 0; i < changes; i++) {
                String name = "r-" + random.nextInt(500);
                if (random.nextInt(3) == 0) {
                    removed.add(name); // present or not
                } else {
                    put.put(name, random.nextInt());
                }
            }
            removed.forEach(expected::remove);
            expected.putAll(put); // a name both put and removed is put
            SortedArrayMap<Integer> next = actual.with(put, removed);
            if (put.isEmpty() && removed.isEmpty()) {
                assertSame(actual, next);
            }
            actual = next;
            assertEquals(expected, actual);
            assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()), "name order");
            assertEquals(new ArrayList<>(expected.values()), new ArrayList<>(actual.values()));
            for (int i = 0; i < actual.size(); i++) {
                assertEquals(expected.get(actual.keyAt(i)), actual.valueAt(i));
            }
        }
        assertEquals(SortedArrayMap.copyOf(expected), actual);
        assertEquals(null, actual.get("absent"));
        assertEquals(Set.copyOf(expected.keySet()), Set.copyOf(actual.keySet()));
    }
}
