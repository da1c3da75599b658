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
 * Java against an equivalent in-memory host, in the same JVM run. Plus module sizes.
 * Run: {@code mvn -B -Pbench -pl wasm-filters/host-tests verify} (see docs/benchmarks.md). Not a test.
 */
public final class FilterBenchmark {
    static final int WARMUP_REQUESTS = Integer.getInteger("bench.warmup", 100_000);
    static final int MEASURED_REQUESTS = Integer.getInteger("bench.requests", 100_000);
    static final int ROUNDS = Integer.getInteger("bench.rounds", 5);

    record Case(FilterModule module, String config, Function<JavaHost, RootContext> javaFilter) {}

    static final List<Case> CASES = List.of(
            new Case(FilterModule.FAILOVER_HEADERS, "{\"localCluster\": \"east\", \"localLocality\": \"r0/z0\"}",
                    FailoverHeadersFilter::new),
            new Case(FilterModule.RETRY_BUDGET,
                    "{\"budgetPercent\": 20, \"minRetriesPerSecond\": 10, \"windowSeconds\": 3600}", RetryBudgetFilter::new),
            new Case(FilterModule.TELEMETRY_TAGS,
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

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        out.append("| filter | module size | Wasm (Chicory compiler) CPU ns/request | plain Java CPU ns/request | ratio |\n");
        out.append("|---|---|---|---|---|\n");
        String only = System.getProperty("bench.filter", "");
        for (Case c : CASES) {
            if (!c.module().fileName.startsWith(only)) {
                continue;
            }
            int size = c.module().bytes().length;
            try (FilterHost wasm = FilterHost.start(c.module(), FilterModule.Mode.COMPILER, c.config())) {
                JavaHost javaHost = new JavaHost();
                RootContext root = c.javaFilter().apply(javaHost);
                if (!root.onConfigure(c.config().getBytes(StandardCharsets.UTF_8))) {
                    throw new IllegalStateException("plain Java filter rejected its configuration: " + javaHost.logs);
                }
                wasmNanosPerRequest(wasm, WARMUP_REQUESTS, 0);
                javaNanosPerRequest(javaHost, root, WARMUP_REQUESTS, 0);
                List<Double> w = new ArrayList<>();
                List<Double> j = new ArrayList<>();
                for (int r = 0; r < ROUNDS; r++) {
                    w.add(wasmNanosPerRequest(wasm, MEASURED_REQUESTS, WARMUP_REQUESTS + r * MEASURED_REQUESTS));
                    j.add(javaNanosPerRequest(javaHost, root, MEASURED_REQUESTS, WARMUP_REQUESTS + r * MEASURED_REQUESTS));
                }
                double wm = median(w);
                double jm = median(j);
                String row = String.format("| %s | %,d B (%.1f KiB) | %,.0f | %,.0f | %.1fx |%n", c.module().fileName, size,
                        size / 1024.0, wm, jm, wm / jm);
                System.out.print("[bench] " + row);
                System.out.println("[bench]   rounds wasm=" + round(w) + " java=" + round(j));
                out.append(row);
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
