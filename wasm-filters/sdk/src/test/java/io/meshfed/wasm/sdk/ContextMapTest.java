package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** ContextMap against java.util.HashMap under the proxy's pattern and under random churn with collisions. */
class ContextMapTest {
    @Test
    void followsHashMapUnderRandomChurn() {
        Random random = new Random(42);
        ContextMap<String> map = new ContextMap<>();
        Map<Integer, String> expected = new HashMap<>();
        for (int step = 0; step < 200_000; step++) {
            // Keys from a small range collide and wrap around the table; negative ones too.
            int key = random.nextInt(400) - 50;
            switch (random.nextInt(3)) {
                case 0 -> {
                    String v = "v" + step;
                    map.put(key, v);
                    expected.put(key, v);
                }
                case 1 -> assertEquals(expected.remove(key), map.remove(key), "remove " + key + " at step " + step);
                default -> assertEquals(expected.get(key), map.get(key), "get " + key + " at step " + step);
            }
            assertEquals(expected.size(), map.size());
        }
        for (int key = -50; key < 350; key++) {
            assertEquals(expected.get(key), map.get(key));
        }
    }

    @Test
    void holdsContextsThatComeAndGoLikeStreams() {
        ContextMap<Integer> map = new ContextMap<>();
        map.put(1, 1);
        for (int id = 2; id < 100_000; id++) {
            map.put(id, id);
            if (id > 10) {
                assertEquals(id - 9, map.remove(id - 9));
            }
        }
        assertEquals(1, map.get(1));
        assertNull(map.get(50));
        assertEquals(10, map.size()); // the root and the nine newest streams
    }
}
