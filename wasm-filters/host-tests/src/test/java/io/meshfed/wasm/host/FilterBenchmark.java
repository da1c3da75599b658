package io.meshfed.wasm.host;

import io.meshfed.wasm.filters.failover.FailoverHeadersFilter;
import io.meshfed.wasm.filters.retry.RetryBudgetFilter;
import io.meshfed.wasm.filters.telemetry.TelemetryTagsFilter;
import io.meshfed.wasm.sdk.HttpContext;
import io.meshfed.wasm.sdk.RootContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Per-request cost of each filter (request headers + response headers + end of stream) as the Wasm
 * module in proxy-wasm-java-host with Chicory's compiler, beside the same filter classes called as plain
 * Java against an equivalent in-memory host, in the same JVM run, rounds interleaved. failover-headers
 * runs a third build too: its Go peer (proxy-wasm Go SDK). Plus module sizes.
 * Run: {@code mvn -B -Pbench -pl wasm-filters/host-tests verify} (see docs/benchmarks.md). Not a test.
 */
public final class FilterBenchmark {
    static final int WARMUP_REQUESTS = Integer.getInteger("bench.warmup", 100_000);
    static final int MEASURED_REQUESTS = Integer.getInteger("bench.requests", 100_000);
    static final int ROUNDS = Integer.getInteger("bench.rounds", 5);

    /**
     * One filter: its Wasm builds (the Java module, and for failover-headers also its Go peer) and the same logic
     * as plain Java. All run in the same JVM, interleaved round by round, so the machine's load moves them alike.
     */
    record Case(List<FilterModule> modules, String config, Function<JavaHost, RootContext> javaFilter) {}

    static final List<Case> CASES = List.of(
            new Case(List.of(FilterModule.FAILOVER_HEADERS, FilterModule.FAILOVER_HEADERS_GO),
                    "{\"localCluster\": \"east\", \"localLocality\": \"r0/z0\"}", FailoverHeadersFilter::new),
            new Case(List.of(FilterModule.RETRY_BUDGET),
                    "{\"budgetPercent\": 20, \"minRetriesPerSecond\": 10, \"windowSeconds\": 3600}", RetryBudgetFilter::new),
            new Case(List.of(FilterModule.TELEMETRY_TAGS),
                    "{\"tags\": {\"mesh\": \"m\", \"cluster\": \"c\", \"network\": \"n\", \"locality\": \"r/z\"}}",
                    TelemetryTagsFilter::new));

    static Exchange request(int i) {
        return new Exchange(":method", "GET", ":path", "/api/items/" + (i & 1023), ":authority", "reviews.prod.svc",
                "user-agent", "bench/1.0", "x-request-id", "req-" + i, "x-envoy-attempt-count", i % 10 == 0 ? "2" : "1")
                .property(FailoverHeadersTest.CLUSTER, "west")
                .property(FailoverHeadersTest.LOCALITY, "r1/z1");
    }

    static final String[] RESPONSE = {":status", "200", "content-type", "application/json", "x-envoy-attempt-count", "1"};

    /**
     * CPU time of this thread, not wall time: the machines this runs on are shared, and wall time there
     * measures the neighbours. Chicory's compiled code and both filter paths run on this thread.
     */
    static long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }

    static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    static double wasmNanosPerRequest(FilterHost host, int requests, int offset) {
        long start = cpuNanos();
        for (int i = 0; i < requests; i++) {
            host.exchange(request(offset + i), RESPONSE);
        }
        return (cpuNanos() - start) / (double) requests;
    }

    static double javaNanosPerRequest(JavaHost host, RootContext root, int requests, int offset) {
        long start = cpuNanos();
        for (int i = 0; i < requests; i++) {
            Exchange e = request(offset + i);
            host.current = e;
            HttpContext http = root.newHttpContext(offset + i + 2);
            if (http.onRequestHeaders(e.requestHeaders.size(), false) == io.meshfed.wasm.sdk.Action.CONTINUE) {
                for (int k = 0; k < RESPONSE.length; k += 2) {
                    e.responseHeaders.add(RESPONSE[k], RESPONSE[k + 1]);
                }
                http.onResponseHeaders(e.responseHeaders.size(), false);
            }
            http.onDone();
            http.onLog();
        }
        return (cpuNanos() - start) / (double) requests;
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[a.length / 2];
    }

    /** "min-max" of the rounds. */
    static String range(List<Double> xs) {
        return String.format("%,.0f-%,.0f", xs.stream().mapToDouble(Double::doubleValue).min().orElse(0),
                xs.stream().mapToDouble(Double::doubleValue).max().orElse(0));
    }

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append("| filter | build | module size | CPU ns/request, median | range over rounds | vs plain Java |\n");
        out.append("|---|---|---|---|---|---|\n");
        String only = System.getProperty("bench.filter", "");
        for (Case c : CASES) {
            if (!c.modules().get(0).fileName.startsWith(only)) {
                continue;
            }
            List<FilterHost> wasm = new ArrayList<>();
            try {
                for (FilterModule m : c.modules()) {
                    wasm.add(FilterHost.start(m, FilterModule.Mode.COMPILER, c.config()));
                }
                JavaHost javaHost = new JavaHost();
                RootContext root = c.javaFilter().apply(javaHost);
                if (!root.onConfigure(c.config().getBytes(StandardCharsets.UTF_8))) {
                    throw new IllegalStateException("plain Java filter rejected its configuration: " + javaHost.logs);
                }
                for (FilterHost h : wasm) {
                    wasmNanosPerRequest(h, WARMUP_REQUESTS, 0);
                }
                javaNanosPerRequest(javaHost, root, WARMUP_REQUESTS, 0);
                List<List<Double>> w = new ArrayList<>();
                wasm.forEach(h -> w.add(new ArrayList<>()));
                List<Double> j = new ArrayList<>();
                for (int r = 0; r < ROUNDS; r++) {
                    int offset = WARMUP_REQUESTS + r * MEASURED_REQUESTS;
                    for (int i = 0; i < wasm.size(); i++) {
                        w.get(i).add(wasmNanosPerRequest(wasm.get(i), MEASURED_REQUESTS, offset));
                    }
                    j.add(javaNanosPerRequest(javaHost, root, MEASURED_REQUESTS, offset));
                }
                double jm = median(j);
                String filter = c.modules().get(0).fileName.replace(".wasm", "");
                for (int i = 0; i < wasm.size(); i++) {
                    FilterModule m = c.modules().get(i);
                    int size = m.bytes().length;
                    double wm = median(w.get(i));
                    String build = m == FilterModule.FAILOVER_HEADERS_GO ? "Wasm, Go (proxy-wasm Go SDK)" : "Wasm, Java (TeaVM)";
                    String row = String.format("| %s | %s | %,d B (%.1f KiB) | %,.0f | %s | %.1fx |%n", filter, build, size,
                            size / 1024.0, wm, range(w.get(i)), wm / jm);
                    System.out.print("[bench] " + row);
                    System.out.println("[bench]   rounds " + m.fileName + "=" + round(w.get(i)));
                    out.append(row);
                }
                String row = String.format("| %s | plain Java (same classes, no Wasm) | - | %,.0f | %s | 1.0x |%n", filter, jm,
                        range(j));
                System.out.print("[bench] " + row);
                System.out.println("[bench]   rounds java=" + round(j));
                out.append(row);
            } finally {
                wasm.forEach(FilterHost::close);
            }
        }
        Path report = Path.of("target", "bench", "wasm-filters.md");
        Files.createDirectories(report.getParent());
        Files.writeString(report, out.toString());
        System.out.println(out);
    }

    private static String round(List<Double> xs) {
        return Arrays.toString(xs.stream().mapToLong(Math::round).toArray());
    }
}
