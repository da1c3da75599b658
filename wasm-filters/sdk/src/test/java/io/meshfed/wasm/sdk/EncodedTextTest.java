package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Utf8String and PropertyPath: the bytes the host is handed must be exactly the ABI's encoding. */
class EncodedTextTest {
    @Test
    void utf8StringHoldsTheStandardEncoding() {
        String s = "x-caf\u00e9-\u6771-\ud83d\ude00";
        Utf8String u = Utf8String.of(s);
        assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), u.utf8);
        assertTrue(u.sameBytes(s.getBytes(StandardCharsets.UTF_8)));
        assertFalse(u.sameBytes("x-cafe".getBytes(StandardCharsets.UTF_8)));
        assertFalse(u.sameBytes(null));
        assertTrue(Utf8String.of("").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Utf8String.of(null));
    }

    @Test
    void propertyPathIsNulJoinedUtf8() {
        PropertyPath p = PropertyPath.of("xds", "upstream_host_metadata", "m\u00fc");
        assertArrayEquals("xds\0upstream_host_metadata\0m\u00fc".getBytes(StandardCharsets.UTF_8), p.utf8);
        assertArrayEquals(new byte[] {'a'}, PropertyPath.of("a").utf8);
        assertArrayEquals(new byte[] {0, 'b'}, PropertyPath.of("", "b").utf8);
        assertThrows(IllegalArgumentException.class, PropertyPath::of);
    }

    @Test
    void asciiCheck() {
        assertTrue(Utf8.isAscii(new byte[] {'a', 0x7F}));
        assertTrue(Utf8.isAscii(new byte[0]));
        assertFalse(Utf8.isAscii(new byte[] {'a', (byte) 0x80}));
    }
}
