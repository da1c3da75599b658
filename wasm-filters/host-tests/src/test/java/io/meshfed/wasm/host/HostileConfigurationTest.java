package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roastedroot.proxywasm.SimpleSharedDataHandler;
import io.roastedroot.proxywasm.StartException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile configuration, compiler and interpreter: numbers out of every range in every numeric field
 * (retry-budget has the only ones; the other filters get the same numbers where they expect strings),
 * empty configuration, malformed UTF-8 and unpaired surrogate escapes. Each must refuse the plugin with an
 * ERROR line naming the problem; nothing may trap (a trap is not a StartException).
 */
class HostileConfigurationTest {
    static final String[] OUT_OF_RANGE = {"1e19", "-1e19", "1e400", "-1e400", "9223372036854775808", "2147483648"};
    static final String[] SHOWN_AS = {"1.000e19", "-1.000e19", "Infinity", "-Infinity", "9.223e18", "2147483648"};

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code prefix}, the raw bytes, then {@code suffix}. */
    static byte[] spliced(String prefix, byte[] raw, String suffix) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bytes(prefix));
        out.writeBytes(raw);
        out.writeBytes(bytes(suffix));
        return out.toByteArray();
    }

    static Stream<Arguments> cases() {
        List<Arguments> c = new ArrayList<>();
        String[][] retryFields = {{"budgetPercent", "[0, 1000]"}, {"minRetriesPerSecond", "[0, 1000000]"},
            {"windowSeconds", "[1, 86400]"}, {"rejectStatus", "[200, 599]"}};
        for (String[] field : retryFields) {
            for (int i = 0; i < OUT_OF_RANGE.length; i++) {
                c.add(Arguments.of(FilterModule.RETRY_BUDGET, bytes("{\"" + field[0] + "\": " + OUT_OF_RANGE[i] + "}"),
                        field[0] + ": " + SHOWN_AS[i] + " is outside " + field[1]));
            }
            c.add(Arguments.of(FilterModule.RETRY_BUDGET, bytes("{\"" + field[0] + "\": NaN}"), "unexpected character 'N'"));
        }
        c.add(Arguments.of(FilterModule.RETRY_BUDGET, bytes("{\"windowSeconds\": -0}"), "windowSeconds: 0 is outside [1, 86400]"));
        c.add(Arguments.of(FilterModule.RETRY_BUDGET, bytes("{\"rejectStatus\": -0}"), "rejectStatus: 0 is outside [200, 599]"));
        for (String n : OUT_OF_RANGE) {
            c.add(Arguments.of(FilterModule.FAILOVER_HEADERS, bytes("{\"localCluster\": " + n + "}"), "localCluster: must be a string"));
            c.add(Arguments.of(FilterModule.TELEMETRY_TAGS, bytes("{\"tags\": {\"mesh\": " + n + "}}"), "tags.mesh: must be a string"));
        }
        c.add(Arguments.of(FilterModule.FAILOVER_HEADERS, bytes("{\"localLocality\": \"a\\r\\nb\"}"),
                "localLocality: control characters cannot go into a header"));
        for (FilterModule m : List.of(FilterModule.FAILOVER_HEADERS, FilterModule.RETRY_BUDGET, FilterModule.TELEMETRY_TAGS)) {
            c.add(Arguments.of(m, new byte[0], "configuration is empty (write {} for the defaults)"));
            c.add(Arguments.of(m, bytes("   "), "unexpected end of input"));
        }
        c.add(Arguments.of(FilterModule.RETRY_BUDGET, spliced("{\"metricPrefix\": \"rb", new byte[] {(byte) 0xFF}, "\"}"),
                "configuration is not valid UTF-8 (byte 20)"));
        c.add(Arguments.of(FilterModule.FAILOVER_HEADERS, spliced("{\"localCluster\": \"e", new byte[] {(byte) 0xC3}, "\"}"),
                "configuration is not valid UTF-8 (byte 19)"));
        c.add(Arguments.of(FilterModule.TELEMETRY_TAGS,
                spliced("{\"tags\": {\"mesh\": \"m\"}, \"metricPrefix\": \"", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, "\"}"),
                "configuration is not valid UTF-8 (byte 41)"));
        c.add(Arguments.of(FilterModule.RETRY_BUDGET, bytes("{\"metricPrefix\": \"rb\\ud800\"}"), "unpaired surrogate \\ud800"));
        List<Arguments> both = new ArrayList<>();
        for (Arguments a : c) {
            for (FilterModule.Mode mode : FilterModule.Mode.values()) {
                Object[] args = a.get();
                both.add(Arguments.of(args[0], mode, args[1], args[2]));
            }
        }
        return both.stream();
    }

    @ParameterizedTest(name = "{0} {1} [{3}]")
    @MethodSource("cases")
    void refusedWithALogLineAndNoTrap(FilterModule module, FilterModule.Mode mode, byte[] configuration, String expected) {
        List<String> logs = Collections.synchronizedList(new ArrayList<>());
        RecordingMetrics metrics = new RecordingMetrics();
        assertThrows(StartException.class, () -> FilterHost.start(module, mode, configuration,
                new SimpleSharedDataHandler(), metrics, Map.of(), logs));
        assertTrue(logs.stream().anyMatch(l -> l.startsWith("ERROR ") && l.contains("rejected configuration")
                && l.contains(expected)), () -> "no ERROR log containing [" + expected + "] in " + logs);
        assertTrue(metrics.names().isEmpty(), () -> "metrics defined by a refused configuration: " + metrics.names());
    }

    /** -0 is 0 where 0 is allowed: a zero budget with a zero floor refuses the first retry. */
    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void negativeZeroIsZero(FilterModule.Mode mode) throws Exception {
        try (FilterHost host = FilterHost.start(FilterModule.RETRY_BUDGET, mode,
                "{\"budgetPercent\": -0, \"minRetriesPerSecond\": -0, \"windowSeconds\": 3600}")) {
            FilterHost.Outcome o = host.exchange(new Exchange(":path", "/", "x-envoy-attempt-count", "2"), ":status", "200");
            assertEquals(503, o.localResponse().statusCode());
        }
    }

    /** The largest values allowed stay exact: the floor is 10^6 * 86400 retries, not a saturated bound. */
    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void largestAllowedValuesWork(FilterModule.Mode mode) throws Exception {
        try (FilterHost host = FilterHost.start(FilterModule.RETRY_BUDGET, mode,
                "{\"budgetPercent\": 1000, \"minRetriesPerSecond\": 1000000, \"windowSeconds\": 86400, \"rejectStatus\": 599}")) {
            for (int i = 0; i < 5; i++) {
                FilterHost.Outcome o = host.exchange(new Exchange(":path", "/", "x-envoy-attempt-count", "2"), ":status", "200");
                assertEquals(null, o.localResponse());
            }
            assertEquals(5, host.metrics.value("meshfed_retry_budget_retries_allowed_total"));
        }
    }

    /** An addressMap of {@code n} entries: about 70 bytes each. */
    static String addressMap(int n) {
        StringBuilder sb = new StringBuilder("{\"localCluster\": \"east\", \"addressMap\": {");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ", ").append("\"10.").append(i / 65536).append('.').append(i / 256 % 256).append('.')
                    .append(i % 256).append(":15443\": {\"cluster\": \"c").append(i).append("\", \"locality\": \"r/z")
                    .append(i % 10).append("\"}");
        }
        return sb.append("}}").toString();
    }

    /**
     * The largest configuration the guest takes (its arena holds 248 KiB of host data) starts and works
     * within the fixed heap; a larger one is refused with a log line, not a trap. Compiler only: the
     * interpreter takes 10-15 s to parse 240 KB of JSON.
     */
    @Test
    void largestConfigurationStartsAndLargerIsRefused() throws Exception {
        FilterModule.Mode mode = FilterModule.Mode.COMPILER;
        String large = addressMap(3900);
        assertTrue(large.length() > 230 * 1024 && large.length() < 248 * 1024, () -> "size " + large.length());
        try (FilterHost host = FilterHost.start(FilterModule.FAILOVER_HEADERS, mode, large)) {
            Exchange e = new Exchange(":path", "/").property(FailoverHeadersTest.ADDRESS, "10.0.12.34:15443");
            host.exchange(e, ":status", "200");
            assertEquals("c3106", e.responseHeaders.get("x-meshfed-upstream-cluster"));
            assertEquals("r/z6", e.responseHeaders.get("x-meshfed-upstream-locality"));
        }
        String larger = addressMap(4300);
        List<String> logs = Collections.synchronizedList(new ArrayList<>());
        assertThrows(StartException.class, () -> FilterHost.start(FilterModule.FAILOVER_HEADERS, mode, larger,
                new SimpleSharedDataHandler(), new RecordingMetrics(), Map.of(), logs));
        assertTrue(logs.stream().anyMatch(l -> l.startsWith("ERROR ") && l.contains("proxy_on_configure failed")), logs::toString);
    }
}
