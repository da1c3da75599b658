package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HeaderMapCodecTest {
    @Test
    void wireFormatMatchesTheAbi() {
        byte[] encoded = HeaderMapCodec.encode(":path", "/", "a", "bc");
        byte[] expected = {
            2, 0, 0, 0,
            5, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,
            ':', 'p', 'a', 't', 'h', 0, '/', 0, 'a', 0, 'b', 'c', 0};
        assertArrayEquals(expected, encoded);
    }

    @Test
    void roundTripsUtf8() {
        String[] pairs = {"x-name", "caf\u00e9 \ud83d\ude00", "empty", ""};
        byte[] encoded = HeaderMapCodec.encode(pairs);
        assertArrayEquals(pairs, HeaderMapCodec.decode(encoded, 0, encoded.length));
    }

    @Test
    void rejectsTruncatedAndOversizedMaps() {
        byte[] encoded = HeaderMapCodec.encode("k", "v");
        assertThrows(IllegalArgumentException.class, () -> HeaderMapCodec.decode(encoded, 0, encoded.length - 2));
        byte[] lying = encoded.clone();
        lying[0] = 100;
        assertThrows(IllegalArgumentException.class, () -> HeaderMapCodec.decode(lying, 0, lying.length));
    }
}
