package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTest {
    @Test
    void parsesNestedValues() {
        Object v = Json.parse(" {\"a\": [1, -2.5, 3e2, 0.125E-1], \"b\": {\"c\": \"x\\u00e9\\n\\\"\"}, \"t\": true, \"f\": false, \"n\": null} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1.0, -2.5, 300.0, 0.0125), m.get("a"));
        assertEquals(Map.of("c", "x\u00e9\n\""), m.get("b"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertSame(Json.NULL, m.get("n"));
        assertEquals(List.of("a", "b", "t", "f", "n"), List.copyOf(m.keySet()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\": 1,|invalid JSON at offset 8: expected a quoted key",
        "{\"a\" 1}|invalid JSON at offset 6: expected ':'",
        "[01]|invalid JSON at offset 3: expected ',' or ']'",
        "{\"a\": 1} x|invalid JSON at offset 9: unexpected trailing data",
        "\"\\x\"|bad escape \\x",
        "{a: 1}|expected a quoted key",
        "[1.]|digit expected after '.'",
        "{\"k\": 1, \"k\": 2}|duplicate key \"k\"",
        "nul|unexpected token"})
    void rejectsMalformedInputNamingThePosition(String text, String message) {
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void limitsNesting() {
        String deep = "[".repeat(40) + "]".repeat(40);
        assertTrue(assertThrows(InvalidConfigException.class, () -> Json.parse(deep)).getMessage().contains("nesting"));
    }
}
