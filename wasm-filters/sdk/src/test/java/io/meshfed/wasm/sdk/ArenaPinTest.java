package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The arena's pinned region (plain JVM: only offsets and bytes, no linear-memory addresses): pinned bytes
 * stay put while per-call staging and host buffers come and go, and a full region says so instead of
 * overwriting anything.
 */
class ArenaPinTest {
    @Test
    void pinnedBytesSurviveCallsAndTheRegionReportsFull() {
        List<byte[]> pinned = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        int off;
        int i = 0;
        while ((off = Arena.pin(Utf8.encode("x-meshfed-header-" + i))) >= 0) {
            pinned.add(Utf8.encode("x-meshfed-header-" + i));
            offsets.add(off);
            i++;
        }
        assertTrue(pinned.size() > 100, "the region holds a configuration's worth of names");
        // Per-call staging starts above the pinned region and never touches it.
        Arena.reset();
        int staged = Arena.putBytes(new byte[] {1, 2, 3});
        assertTrue(staged >= offsets.get(offsets.size() - 1) + pinned.get(pinned.size() - 1).length);
        Arena.putUtf8("value");
        for (int k = 0; k < pinned.size(); k++) {
            assertArrayEquals(pinned.get(k), Arena.copy(offsets.get(k), pinned.get(k).length));
        }
        // Host buffers below the per-call region are rejected, so a host cannot be pointed at pinned bytes.
        assertThrows(IllegalStateException.class, () -> Arena.offsetOf(offsets.get(0), 4, 0));
        assertEquals(-1, Arena.pin(new byte[9000]));
    }
}
