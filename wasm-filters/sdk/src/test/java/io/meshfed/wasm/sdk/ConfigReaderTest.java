package io.meshfed.wasm.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void emptyConfigurationIsRefusedAndEmptyObjectGivesDefaults() {
        assertEquals("configuration is empty (write {} for the defaults)",
                assertThrows(InvalidConfigException.class, () -> ConfigReader.parse(new byte[0])).getMessage());
        assertThrows(InvalidConfigException.class, () -> ConfigReader.parse(null));
        ConfigReader r = read("{}");
        assertEquals(3, r.integer("x", 3, 0, 5));
        r.finish();
    }

    @Test
    void malformedUtf8AndUnpairedSurrogatesAreRefused() {
        byte[] bad = {'{', '"', 'm', '"', ':', '"', 'a', (byte) 0xFF, '"', '}'};
        assertEquals("configuration is not valid UTF-8 (byte 7)",
                assertThrows(InvalidConfigException.class, () -> ConfigReader.parse(bad)).getMessage());
        byte[] overlong = {'{', '"', 'm', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        assertThrows(InvalidConfigException.class, () -> ConfigReader.parse(overlong));
        byte[] surrogate = {'{', '"', 'm', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'};
        assertThrows(InvalidConfigException.class, () -> ConfigReader.parse(surrogate));
        assertTrue(assertThrows(InvalidConfigException.class, () -> read("{\"m\": \"a\\ud800b\"}")).getMessage()
                .contains("unpaired surrogate \\ud800"));
        assertEquals("\ud83d\ude00", read("{\"m\": \"\\ud83d\\ude00\"}").string("m", null));
        assertEquals("z\u00fcrich", read("{\"m\": \"z\u00fcrich\"}").string("m", null));
    }

    @Test
    void outOfRangeNumbersAreNamedWithoutOverflow() {
        String[][] cases = {
            {"1e19", "n: 1.000e19 is outside [0, 10]"},
            {"-1e19", "n: -1.000e19 is outside [0, 10]"},
            {"1e400", "n: Infinity is outside [0, 10]"},
            {"-1e400", "n: -Infinity is outside [0, 10]"},
            {"9223372036854775808", "n: 9.223e18 is outside [0, 10]"},
            {"2147483648", "n: 2147483648 is outside [0, 10]"},
            {"-0.5", "n: -0.500 is outside [0, 10]"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], assertThrows(InvalidConfigException.class,
                    () -> read("{\"n\": " + c[0] + "}").number("n", 0, 0, 10)).getMessage(), c[0]);
        }
        assertEquals(0, read("{\"n\": -0}").integer("n", 5, 0, 10));
        assertTrue(assertThrows(InvalidConfigException.class, () -> read("{\"n\": NaN}")).getMessage()
                .contains("unexpected character 'N'"));
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
