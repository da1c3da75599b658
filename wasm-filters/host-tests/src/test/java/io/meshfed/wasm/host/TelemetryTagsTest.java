package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.roastedroot.proxywasm.MetricType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** telemetry-tags.wasm in the third-party host: tag headers and tagged metrics per response class. */
class TelemetryTagsTest {
    static final String CONFIG = """
            {"tags": {"mesh": "prod", "cluster": "east", "network": "net-1", "locality": "us-east1/us-east1-b"}}
            """;
    static final String SCOPE = "meshfed.mesh.prod.cluster.east.network.net-1.locality.us-east1_us-east1-b";

    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void tagsRequestsAndCountsResponsesByClass(FilterModule.Mode mode) throws Exception {
        try (FilterHost host = FilterHost.start(FilterModule.TELEMETRY_TAGS, mode, CONFIG)) {
            List<String> seen = new ArrayList<>();
            for (String status : List.of("200", "204", "302", "404", "503", "200")) {
                Exchange e = new Exchange(":path", "/x", "x-meshfed-cluster", "spoofed");
                host.exchange(e, ":status", status);
                seen.add(status + " " + e.requestHeaders.get("x-meshfed-mesh") + "/" + e.requestHeaders.get("x-meshfed-cluster")
                        + "/" + e.requestHeaders.get("x-meshfed-network") + "/" + e.requestHeaders.get("x-meshfed-locality"));
            }
            assertEquals(List.of(
                    "200 prod/east/net-1/us-east1/us-east1-b", "204 prod/east/net-1/us-east1/us-east1-b",
                    "302 prod/east/net-1/us-east1/us-east1-b", "404 prod/east/net-1/us-east1/us-east1-b",
                    "503 prod/east/net-1/us-east1/us-east1-b", "200 prod/east/net-1/us-east1/us-east1-b"), seen);
            RecordingMetrics m = host.metrics;
            assertEquals(6, m.value(SCOPE + ".requests_total"));
            assertEquals(MetricType.COUNTER, m.type(SCOPE + ".requests_total"));
            assertEquals(List.of(0L, 3L, 1L, 1L, 1L, 0L), List.of(m.value(SCOPE + ".response_class.1xx"),
                    m.value(SCOPE + ".response_class.2xx"), m.value(SCOPE + ".response_class.3xx"),
                    m.value(SCOPE + ".response_class.4xx"), m.value(SCOPE + ".response_class.5xx"),
                    m.value(SCOPE + ".response_class.other")));
            assertEquals(MetricType.HISTOGRAM, m.type(SCOPE + ".request_duration_ms"));
            assertEquals(6, m.samples(SCOPE + ".request_duration_ms").size());
        }
    }

    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void onlyConfiguredTagsWithCustomPrefixes(FilterModule.Mode mode) throws Exception {
        String config = """
                {"tags": {"cluster": "west"}, "headerPrefix": "x-t-", "metricPrefix": "mf"}
                """;
        try (FilterHost host = FilterHost.start(FilterModule.TELEMETRY_TAGS, mode, config)) {
            Exchange e = new Exchange(":path", "/");
            host.exchange(e, ":status", "201");
            assertEquals("west", e.requestHeaders.get("x-t-cluster"));
            assertNull(e.requestHeaders.get("x-t-mesh"));
            assertEquals(1, host.metrics.value("mf.cluster.west.requests_total"));
            assertEquals(1, host.metrics.value("mf.cluster.west.response_class.2xx"));
        }
    }
}
