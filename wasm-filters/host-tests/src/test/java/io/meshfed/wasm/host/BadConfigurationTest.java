package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roastedroot.proxywasm.SimpleSharedDataHandler;
import io.roastedroot.proxywasm.StartException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad configuration makes proxy_on_configure return false (the host refuses to start the plugin) with an
 * error log naming the problem; the module never traps.
 */
class BadConfigurationTest {
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(FilterModule.FAILOVER_HEADERS, "{\"localCluster\": \"a\",", "invalid JSON at offset"),
                Arguments.of(FilterModule.FAILOVER_HEADERS, "{\"clusterHedaer\": \"x\"}", "clusterHedaer: unknown key"),
                Arguments.of(FilterModule.FAILOVER_HEADERS, "{\"clusterHeader\": \"X Bad\"}", "clusterHeader: \"X Bad\" is not a lower-case header name"),
                Arguments.of(FilterModule.FAILOVER_HEADERS, "{\"addressMap\": {\"1.2.3.4:80\": {\"locality\": \"z\"}}}", "addressMap.1.2.3.4:80.cluster: required"),
                Arguments.of(FilterModule.FAILOVER_HEADERS, "[1, 2]", "configuration must be a JSON object"),
                Arguments.of(FilterModule.RETRY_BUDGET, "{\"budgetPercent\": -5}", "budgetPercent: -5 is outside [0, 1000]"),
                Arguments.of(FilterModule.RETRY_BUDGET, "{\"windowSeconds\": 2.5}", "windowSeconds: 2.500 is not a whole number"),
                Arguments.of(FilterModule.RETRY_BUDGET, "{\"minRetriesPerSecond\": \"ten\"}", "minRetriesPerSecond: must be a number"),
                Arguments.of(FilterModule.RETRY_BUDGET, "{\"mode\": \"drop\"}", "mode: \"drop\" is not one of"),
                Arguments.of(FilterModule.RETRY_BUDGET, "{\"budgetPercent\": 1e}", "digit expected in exponent"),
                Arguments.of(FilterModule.TELEMETRY_TAGS, "{}", "tags: set at least one of"),
                Arguments.of(FilterModule.TELEMETRY_TAGS, "{\"tags\": {\"cluster\": \"a.b\"}}", "tags.cluster: \"a.b\" may use only"),
                Arguments.of(FilterModule.TELEMETRY_TAGS, "{\"tags\": {\"zone\": \"a\"}}", "tags.zone: unknown key"),
                Arguments.of(FilterModule.TELEMETRY_TAGS, "{\"tags\": {\"mesh\": \"m\"}, \"tags\": {}}", "duplicate key \"tags\""));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rejectsWithALogLineNamingTheProblem(FilterModule module, String configuration, String expected) {
        List<String> logs = Collections.synchronizedList(new ArrayList<>());
        assertThrows(StartException.class, () -> FilterHost.start(module, FilterModule.Mode.COMPILER, configuration,
                new SimpleSharedDataHandler(), new RecordingMetrics(), Map.of(), logs));
        assertTrue(logs.stream().anyMatch(l -> l.startsWith("ERROR ") && l.contains("rejected configuration")
                && l.contains(expected)), () -> "no ERROR log containing [" + expected + "] in " + logs);
    }
}
