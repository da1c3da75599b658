package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8Test {
    @ParameterizedTest
    @ValueSource(strings = {"", "ascii", "caf\u00e9", "\u20ac100", "\ud83d\ude00 emoji", "\u0000nul"})
    void agreesWithTheJdk(String s) {
        byte[] jdk = s.getBytes(StandardCharsets.UTF_8);
        assertEquals(s, Utf8.decode(jdk));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Utf8.encode(s, out::write);
        assertEquals(s, new String(out.toByteArray(), StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"c3,\uFFFD", "ff41,\uFFFDA", "e282,\uFFFD\uFFFD",
        "eda080,\uFFFD\uFFFD\uFFFD", "c0af,\uFFFD\uFFFD", "41e282ac,A\u20AC"})
    void malformedBytesBecomeOneReplacementCharacterEach(String hex, String expected) {
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        assertEquals(expected.translateEscapes(), Utf8.decode(b));
    }
}
