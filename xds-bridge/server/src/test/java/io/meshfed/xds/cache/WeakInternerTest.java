package io.meshfed.xds.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Held values are handed out again; values nobody holds leave the interner once collected. */
class WeakInternerTest {

    @Test
    void heldValuesAreSharedAndCollectedOnesLeave() throws Exception {
        WeakInterner<String, StringBuilder> interner = new WeakInterner<>();
        StringBuilder kept = interner.intern("kept", k -> new StringBuilder(k));
        assertSame(kept, interner.intern("kept", k -> new StringBuilder("other")), "an equal key gets the held value");
        List<StringBuilder> dropped = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            dropped.add(interner.intern("dropped-" + i, StringBuilder::new));
        }
        assertEquals(1001, interner.size());
        assertEquals(1001, interner.made());
        dropped = null;
        for (int i = 0; i < 50 && interner.size() > 1; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(1, interner.size(), "only the held value is left");
        assertSame(kept, interner.intern("kept", k -> new StringBuilder("other")));
        StringBuilder again = interner.intern("dropped-1", k -> new StringBuilder("new"));
        assertEquals("new", again.toString(), "a collected value is made anew");
        assertNotSame(kept, again);
    }
}
