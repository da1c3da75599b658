package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

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

    static List<String> describe(HeaderMatches m, int names) {
        List<String> out = new ArrayList<>();
        for (int n = 0; n < names; n++) {
            StringBuilder sb = new StringBuilder(n + ":");
            for (int i = 0; i < m.count(n); i++) {
                sb.append(" [").append(m.value(n, i)).append(']');
            }
            sb.append(" spellings=").append(List.of(m.otherSpellings(n)));
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void matchFindsNamesIgnoringAsciiCaseOnTheWireAsOnStrings() {
        String[] pairs = {":status", "200", "X-Envoy-Attempt-Count", "3", "x-envoy-attempt-count", "1",
            "X-ENVOY-ATTEMPT-COUNT", "x".repeat(40), "x-envoy-attempt-count-2", "9", "x-meshfed-failover", "true",
            "X-Meshfed-Failover", "forged", "X-Envoy-Attempt-Count", "4", "x-envoy-attempt-\u212aount", "7"};
        Utf8String[] names = {Utf8String.of("x-envoy-attempt-count"), Utf8String.of("x-meshfed-failover"),
            Utf8String.of(":status"), Utf8String.of("absent")};
        List<String> expected = List.of(
                "0: [3] [1] [null] [4] spellings=[X-Envoy-Attempt-Count, X-ENVOY-ATTEMPT-COUNT]",
                "1: [true] [forged] spellings=[X-Meshfed-Failover]",
                "2: [200] spellings=[]",
                "3: spellings=[]");
        byte[] wire = HeaderMapCodec.encode(pairs);
        assertEquals(expected, describe(HeaderMapCodec.match(wire, 0, wire.length, names, 16), names.length));
        assertEquals(expected, describe(HeaderMatches.of(pairs, names, 16), names.length));
        byte[] lying = wire.clone();
        lying[4] = 100;
        assertThrows(IllegalArgumentException.class, () -> HeaderMapCodec.match(lying, 0, lying.length, names, 16));
    }
}
