package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {
    static ConfigReader read(String json) {
        return ConfigReader.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void typedGettersWithDefaults() {
        ConfigReader r = read("{\"s\": \"v\", \"n\": 2.5, \"i\": 7, \"b\": true, \"l\": [\"x\", \"y\"], \"m\": {\"k\": \"w\"}, \"z\": null}");
        assertEquals("v", r.string("s", null));
        assertEquals(2.5, r.number("n", 0, 0, 10));
        assertEquals(7, r.integer("i", 0, 0, 10));
        assertEquals(true, r.bool("b", false));
        assertEquals(List.of("x", "y"), r.strings("l", List.of()));
        assertEquals(Map.of("k", "w"), r.stringMap("m"));
        assertEquals("d", r.string("z", "d"));
        assertEquals("d", r.string("absent", "d"));
        r.finish();
    }

    @Test
    void emptyConfigurationIsAnEmptyObject() {
        ConfigReader r = ConfigReader.parse(new byte[0]);
        assertEquals(3, r.integer("x", 3, 0, 5));
        r.finish();
    }

    @Test
    void errorsNameTheKey() {
        assertEquals("n: 11 is outside [0, 10]",
                assertThrows(InvalidConfigException.class, () -> read("{\"n\": 11}").number("n", 0, 0, 10)).getMessage());
        assertEquals("o.inner: must be a string",
                assertThrows(InvalidConfigException.class, () -> read("{\"o\": {\"inner\": 1}}").object("o").string("inner", null)).getMessage());
        ConfigReader r = read("{\"known\": 1, \"typo\": 2}");
        r.integer("known", 0, 0, 5);
        assertEquals("typo: unknown key", assertThrows(InvalidConfigException.class, r::finish).getMessage());
        assertEquals("h: \"Bad\" is not a lower-case header name",
                assertThrows(InvalidConfigException.class, () -> read("{\"h\": \"Bad\"}").headerName("h", null)).getMessage());
        assertEquals("configuration must be a JSON object",
                assertThrows(InvalidConfigException.class, () -> read("\"x\"")).getMessage());
    }
}
