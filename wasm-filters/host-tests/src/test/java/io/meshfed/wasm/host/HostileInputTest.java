package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roastedroot.proxywasm.SharedData;
import io.roastedroot.proxywasm.SharedDataHandler;
import io.roastedroot.proxywasm.SimpleSharedDataHandler;
import io.roastedroot.proxywasm.WasmException;
import io.roastedroot.proxywasm.internal.ArrayBytesProxyMap;
import io.roastedroot.proxywasm.internal.ProxyMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile requests and responses through each filter in the third-party host, compiler and interpreter:
 * one row per case, each asserting the whole safe outcome as one line (the headers the filter owns, its
 * decision, its counters including {@code failures}, and the levels it logged at). The host compares
 * header names case-sensitively and hands over at most what the guest's arena takes (256 KiB), which is
 * how oversized values make host calls fail. {@code -Dwasm.modules.dir=...} runs the same table against
 * another build of the modules (docs/wasm-filters.md has the table as it was before fail-closed).
 */
class HostileInputTest {
    static final String HUGE = "9".repeat(300 * 1024);
    static final String FAILOVER_CONFIG = FailoverHeadersTest.CONFIG;
    /** Every retry is over budget: a request counted as a retry is refused with 503. */
    static final String RETRY_CONFIG = """
            {"budgetPercent": 0, "minRetriesPerSecond": 0, "windowSeconds": 3600}
            """;
    static final String TELEMETRY_CONFIG = TelemetryTagsTest.CONFIG;

    /** One hostile case: the exchange, what the upstream answers, and the outcome expected. */
    record Case(String name, FilterModule module, Supplier<Exchange> exchange, String[] upstream, String expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case failover(String name, Supplier<Exchange> e, String[] upstream, String expected) {
        return new Case(name, FilterModule.FAILOVER_HEADERS, e, upstream, expected);
    }

    static Case retry(String name, Supplier<Exchange> e, String expected) {
        return new Case(name, FilterModule.RETRY_BUDGET, e, new String[] {":status", "200"}, expected);
    }

    static Case telemetry(String name, Supplier<Exchange> e, String[] upstream, String expected) {
        return new Case(name, FilterModule.TELEMETRY_TAGS, e, upstream, expected);
    }

    static String[] forgedUpstream(String... more) {
        List<String> h = new ArrayList<>(List.of(":status", "200", "x-meshfed-upstream-cluster", "forged",
                "x-meshfed-upstream-locality", "forged", "x-meshfed-failover", "forged", "x-meshfed-attempts", "forged"));
        h.addAll(List.of(more));
        return h.toArray(new String[0]);
    }

    static Exchange served(String... request) {
        return new Exchange(request).property(FailoverHeadersTest.CLUSTER, "west")
                .property(FailoverHeadersTest.LOCALITY, "us-west1/us-west1-a");
    }

    static ProxyMap bytesMap(Object... pairs) {
        ArrayBytesProxyMap m = new ArrayBytesProxyMap();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] instanceof byte[] b) {
                m.add((String) pairs[i], b);
            } else {
                m.add((String) pairs[i], (String) pairs[i + 1]);
            }
        }
        return m;
    }

    static String[] manyHeaders(int n) {
        List<String> h = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            h.add("x-h-" + i);
            h.add("v" + i);
        }
        return h.toArray(new String[0]);
    }

    static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    static Stream<Arguments> cases() {
        String ok = "request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=1]";
        String removed = "response[cluster=- locality=- failover=- attempts=-]";
        List<Case> cases = List.of(
                // failover-headers
                failover("failover: oversized upstream property", () -> new Exchange(":path", "/")
                        .property(FailoverHeadersTest.CLUSTER, HUGE), forgedUpstream(),
                        "request[caller=east] " + removed + " failures=1 logs=[WARN]"),
                failover("failover: oversized response header", () -> served(":path", "/"),
                        forgedUpstream("x-envoy-attempt-count", HUGE),
                        "request[caller=east] " + removed + " failures=1 logs=[WARN]"),
                failover("failover: oversized request header", () -> served(":path", "/", "cookie", HUGE,
                        "x-meshfed-caller-cluster", "forged"), forgedUpstream(),
                        "request[caller=-] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=1]"
                                + " failures=1 logs=[WARN]"),
                failover("failover: control characters in a property", () -> new Exchange(":path", "/")
                        .property(FailoverHeadersTest.CLUSTER, "west\r\nset-cookie: x"), forgedUpstream(),
                        "request[caller=east] " + removed + " failures=1 logs=[WARN]"),
                failover("failover: mixed-case forged headers", () -> served(":path", "/", "X-Meshfed-Caller-Cluster", "forged"),
                        new String[] {":status", "200", "X-Meshfed-Upstream-Cluster", "forged", "X-MESHFED-FAILOVER", "forged",
                            "X-Envoy-Attempt-Count", "3"},
                        "request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=3]"
                                + " failures=0 logs=[]"),
                failover("failover: hundreds of headers, duplicates", () -> served(concat(manyHeaders(400),
                        "x-meshfed-caller-cluster", "forged", "x-meshfed-caller-cluster", "forged2")),
                        concat(forgedUpstream("x-meshfed-upstream-cluster", "forged2"), manyHeaders(300)),
                        ok + " failures=0 logs=[]"),
                // retry-budget: every request counted as a retry is refused (503)
                retry("retry: attempt 2", () -> new Exchange(":path", "/", "x-envoy-attempt-count", "2"),
                        "local 503 requests=1 allowed=0 refused=1 failures=0 logs=[]"),
                retry("retry: attempt 0000001", () -> new Exchange(":path", "/", "x-envoy-attempt-count", "0000001"),
                        "upstream requests=1 allowed=0 refused=0 failures=0 logs=[]"),
                retry("retry: oversized attempt header", () -> new Exchange(":path", "/", "x-envoy-attempt-count", HUGE),
                        "local 503 requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"),
                retry("retry: oversized other header", () -> new Exchange(":path", "/", "x-envoy-attempt-count", "1",
                        "cookie", HUGE), "local 503 requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"),
                retry("retry: attempt count of eight digits", () -> new Exchange(":path", "/", "x-envoy-attempt-count",
                        "10000000"), "local 503 requests=1 allowed=0 refused=1 failures=0 logs=[]"),
                retry("retry: attempt count of 40 digits", () -> new Exchange(":path", "/", "x-envoy-attempt-count",
                        "1".repeat(40)), "local 503 requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"),
                retry("retry: attempt not a number", () -> new Exchange(":path", "/", "x-envoy-attempt-count", "abc"),
                        "local 503 requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"),
                retry("retry: attempt with a control character", () -> new Exchange(":path", "/", "x-envoy-attempt-count",
                        "1\u0001"), "local 503 requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"),
                retry("retry: attempt not UTF-8", () -> new Exchange(bytesMap(":path", "/", "x-envoy-attempt-count",
                        new byte[] {'1', (byte) 0xFF})), "local 503 requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"),
                retry("retry: mixed-case attempt header", () -> new Exchange(":path", "/", "X-Envoy-Attempt-Count", "2"),
                        "local 503 requests=1 allowed=0 refused=1 failures=0 logs=[]"),
                retry("retry: duplicate attempt headers 1 and 3", () -> new Exchange(":path", "/",
                        "x-envoy-attempt-count", "1", "x-envoy-attempt-count", "3"),
                        "local 503 requests=1 allowed=0 refused=1 failures=0 logs=[]"),
                retry("retry: hundreds of headers", () -> new Exchange(concat(manyHeaders(500), "x-envoy-attempt-count", "1")),
                        "upstream requests=1 allowed=0 refused=0 failures=0 logs=[]"),
                // telemetry-tags
                telemetry("telemetry: status 5ab", () -> new Exchange(":path", "/"), new String[] {":status", "5ab"},
                        "tags[prod/east/net-1/us-east1/us-east1-b] class=other failures=0 logs=[]"),
                telemetry("telemetry: status 1e3", () -> new Exchange(":path", "/"), new String[] {":status", "1e3"},
                        "tags[prod/east/net-1/us-east1/us-east1-b] class=other failures=0 logs=[]"),
                telemetry("telemetry: status 204", () -> new Exchange(":path", "/"), new String[] {":status", "204"},
                        "tags[prod/east/net-1/us-east1/us-east1-b] class=2xx failures=0 logs=[]"),
                telemetry("telemetry: mixed-case forged tags", () -> new Exchange(":path", "/", "X-Meshfed-Cluster", "spoofed",
                        "X-MESHFED-MESH", "spoofed"), new String[] {":status", "200"},
                        "tags[prod/east/net-1/us-east1/us-east1-b] class=2xx failures=0 logs=[]"),
                telemetry("telemetry: oversized request header", () -> new Exchange(":path", "/", "cookie", HUGE,
                        "x-meshfed-cluster", "spoofed"), new String[] {":status", "200"},
                        "tags[-/-/-/-] class=2xx failures=1 logs=[WARN]"),
                telemetry("telemetry: oversized response header", () -> new Exchange(":path", "/"),
                        new String[] {":status", "200", "set-cookie", HUGE},
                        "tags[prod/east/net-1/us-east1/us-east1-b] class=other failures=1 logs=[WARN]"));
        // The failover rows again for the Go peer, which applies the Java guest's limit on host data per call.
        Stream<Case> withGoPeer = Stream.concat(cases.stream(), cases.stream()
                .filter(c -> c.module() == FilterModule.FAILOVER_HEADERS)
                .map(c -> new Case(c.name() + " [go peer]", FilterModule.FAILOVER_HEADERS_GO, c.exchange(), c.upstream(),
                        c.expected())));
        return withGoPeer.flatMap(c -> Stream.of(FilterModule.Mode.values()).map(m -> Arguments.of(c, m)));
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("cases")
    void failsClosed(Case c, FilterModule.Mode mode) throws Exception {
        String config = switch (c.module()) {
            case FAILOVER_HEADERS, FAILOVER_HEADERS_GO -> FAILOVER_CONFIG;
            case RETRY_BUDGET -> RETRY_CONFIG;
            default -> TELEMETRY_CONFIG;
        };
        try (FilterHost host = FilterHost.start(c.module(), mode, config)) {
            int startupLogs = host.logs.size();
            Exchange e = c.exchange().get();
            FilterHost.Outcome o = host.exchange(e, c.upstream());
            String logs = host.logs.subList(startupLogs, host.logs.size()).stream().map(l -> l.split(" ", 2)[0])
                    .distinct().collect(Collectors.joining(",", "[", "]"));
            assertEquals(c.expected(), outcome(c.module(), host, e, o) + " logs=" + logs, c.name());
        }
    }

    /**
     * Duplicated owned headers on a host whose replace sets only the first copy of a name (Envoy before
     * http_set_copy_replace_all_headers, the proxy-wasm Go SDK's host): every forged copy must still go.
     */
    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void duplicatedOwnedHeadersGoWhereReplaceSetsOnlyTheFirstCopy(FilterModule.Mode mode) throws Exception {
        try (FilterHost host = FilterHost.start(FilterModule.FAILOVER_HEADERS, mode, FAILOVER_CONFIG)) {
            Exchange e = new Exchange(new FirstCopyHeaderMap(":path", "/", "x-meshfed-caller-cluster", "forged",
                    "x-meshfed-caller-cluster", "forged2"), new FirstCopyHeaderMap())
                    .property(FailoverHeadersTest.CLUSTER, "west").property(FailoverHeadersTest.LOCALITY, "us-west1/us-west1-a");
            FilterHost.Outcome o = host.exchange(e, forgedUpstream("x-meshfed-upstream-cluster", "forged2",
                    "x-meshfed-attempts", "forged2", "x-meshfed-attempts", "forged3"));
            assertEquals("request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=1]"
                    + " failures=0", outcome(FilterModule.FAILOVER_HEADERS, host, e, o));
        }
        try (FilterHost host = FilterHost.start(FilterModule.TELEMETRY_TAGS, mode, TELEMETRY_CONFIG)) {
            Exchange e = new Exchange(new FirstCopyHeaderMap(":path", "/", "x-meshfed-cluster", "spoofed",
                    "x-meshfed-cluster", "spoofed2", "X-Meshfed-Mesh", "spoofed"), new FirstCopyHeaderMap());
            FilterHost.Outcome o = host.exchange(e, ":status", "200");
            assertEquals("tags[prod/east/net-1/us-east1/us-east1-b] class=2xx failures=0",
                    outcome(FilterModule.TELEMETRY_TAGS, host, e, o));
        }
    }

    /** The filter's whole observable outcome for one exchange, as one line. */
    static String outcome(FilterModule module, FilterHost host, Exchange e, FilterHost.Outcome o) {
        RecordingMetrics m = host.metrics;
        return switch (module) {
            case FAILOVER_HEADERS, FAILOVER_HEADERS_GO -> "request[caller=" + owned(e.requestHeaders, "x-meshfed-caller-cluster") + "] response[cluster="
                    + owned(e.responseHeaders, "x-meshfed-upstream-cluster") + " locality="
                    + owned(e.responseHeaders, "x-meshfed-upstream-locality") + " failover="
                    + owned(e.responseHeaders, "x-meshfed-failover") + " attempts="
                    + owned(e.responseHeaders, "x-meshfed-attempts") + "] failures="
                    + counter(m, FailoverHeadersFilterNames.FAILURES);
            case RETRY_BUDGET -> (o.localResponse() != null ? "local " + o.localResponse().statusCode() : "upstream")
                    + " requests=" + counter(m, "meshfed_retry_budget_requests_total")
                    + " allowed=" + counter(m, "meshfed_retry_budget_retries_allowed_total")
                    + " refused=" + counter(m, "meshfed_retry_budget_retries_refused_total")
                    + " failures=" + counter(m, "meshfed_retry_budget_failures_total");
            default -> {
                String scope = TelemetryTagsTest.SCOPE;
                String cls = Stream.of("1xx", "2xx", "3xx", "4xx", "5xx", "other")
                        .filter(k -> m.value(scope + ".response_class." + k) > 0).collect(Collectors.joining(","));
                yield "tags[" + owned(e.requestHeaders, "x-meshfed-mesh") + "/" + owned(e.requestHeaders, "x-meshfed-cluster")
                        + "/" + owned(e.requestHeaders, "x-meshfed-network") + "/" + owned(e.requestHeaders, "x-meshfed-locality")
                        + "] class=" + cls + " failures=" + counter(m, scope + ".failures_total");
            }
        };
    }

    /**
     * Every value of {@code name} in any spelling, joined with '|', or '-' when there is none: a forged
     * copy that survived in another spelling shows up here.
     */
    static String owned(ProxyMap map, String name) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, String> entry : map.entries()) {
            if (entry.getKey().equalsIgnoreCase(name)) {
                values.add(entry.getValue());
            }
        }
        return values.isEmpty() ? "-" : String.join("|", values);
    }

    static String counter(RecordingMetrics m, String name) {
        return m.names().contains(name) ? Long.toString(m.value(name)) : "undefined";
    }

    /** Metric names of failover-headers (a fixed name: the filter has no metric prefix). */
    static final class FailoverHeadersFilterNames {
        static final String FAILURES = "meshfed_failover_headers_failures_total";
    }

    /** Runs a retry and an original through a retry-budget VM over {@code shared}; one outcome line. */
    static String retryThenOriginal(FilterModule.Mode mode, SharedDataHandler shared) throws Exception {
        RecordingMetrics metrics = new RecordingMetrics();
        List<String> logs = Collections.synchronizedList(new ArrayList<>());
        String config = "{\"budgetPercent\": 100, \"minRetriesPerSecond\": 10, \"windowSeconds\": 3600}";
        try (FilterHost host = FilterHost.start(FilterModule.RETRY_BUDGET, mode, config, shared, metrics, Map.of(), logs)) {
            FilterHost.Outcome retry = host.exchange(new Exchange(":path", "/", "x-envoy-attempt-count", "2"), ":status", "200");
            FilterHost.Outcome original = host.exchange(new Exchange(":path", "/", "x-envoy-attempt-count", "1"), ":status", "200");
            return "retry " + (retry.localResponse() != null ? "local " + retry.localResponse().statusCode() : "upstream")
                    + ", original " + (original.localResponse() != null ? "local" : "upstream")
                    + " requests=" + counter(metrics, "meshfed_retry_budget_requests_total")
                    + " refused=" + counter(metrics, "meshfed_retry_budget_retries_refused_total")
                    + " conflicts=" + counter(metrics, "meshfed_retry_budget_cas_conflicts_total")
                    + " failures=" + counter(metrics, "meshfed_retry_budget_failures_total")
                    + " logs=" + logs.stream().map(l -> l.split(" ", 2)[0]).distinct().toList();
        }
    }

    /**
     * Another VM always writes first (every compare-and-swap fails): after 16 tries the retry is refused and
     * the original goes through uncounted, each a failure.
     */
    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void budgetThatCannotBeUpdatedRefusesRetries(FilterModule.Mode mode) throws Exception {
        SharedDataHandler alwaysConflicting = new SimpleSharedDataHandler() {
            @Override
            public synchronized io.roastedroot.proxywasm.internal.WasmResult setSharedData(String key, byte[] value, int cas) {
                return io.roastedroot.proxywasm.internal.WasmResult.CAS_MISMATCH;
            }
        };
        assertEquals("retry local 503, original upstream requests=2 refused=1 conflicts=32 failures=2 logs=[WARN]",
                retryThenOriginal(mode, alwaysConflicting));
    }

    /** The shared-data store fails outright: the retry is refused, the original goes through, both logged. */
    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void budgetThatCannotBeReadRefusesRetries(FilterModule.Mode mode) throws Exception {
        SharedDataHandler broken = new SharedDataHandler() {
            @Override
            public SharedData getSharedData(String key) throws WasmException {
                throw new WasmException(io.roastedroot.proxywasm.internal.WasmResult.INTERNAL_FAILURE);
            }
        };
        assertEquals("retry local 503, original upstream requests=2 refused=1 conflicts=0 failures=3 logs=[WARN]",
                retryThenOriginal(mode, broken));
    }
}
