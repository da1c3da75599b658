package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.roastedroot.proxywasm.internal.Action;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 100,000 requests (1,000,000 with {@code -Psoak}) through each filter in one host instance (Chicory
 * compiler), each a new HTTP context with varied, garbage-heavy headers (so TeaVM's GC runs and compacts many times while the host
 * writes into guest memory). Every request's outcome is checked exactly: a single corrupted header,
 * wrong decision or trap fails the test. Guest memory must stop growing after warm-up.
 * {@code -Dsoak.requests=N} sets the number of requests.
 */
class SoakTest {
    static final int REQUESTS = Integer.getInteger("soak.requests", 100_000);
    static final int WARMUP = Math.min(20_000, REQUESTS / 10);

    private static final String[] JUNK = new String[2003];

    static {
        for (int i = 0; i < JUNK.length; i++) {
            int len = (i * 7919) % 2000;
            StringBuilder sb = new StringBuilder(len);
            for (int k = 0; k < len; k++) {
                sb.append((char) ('a' + (i + k * 31) % 26));
            }
            JUNK[i] = sb.toString();
        }
    }

    /** Deterministic junk of varying length (0..1999 chars) and content; precomputed so the host side stays cheap. */
    static String junk(int i) {
        return JUNK[i % JUNK.length];
    }

    static void checkMemory(FilterHost host, int[] pagesAfterWarmup, int i) {
        if (i == WARMUP) {
            pagesAfterWarmup[0] = host.memoryPages();
        }
    }

    static void assertBounded(FilterHost host, int pagesAfterWarmup) {
        int end = host.memoryPages();
        System.out.println("[soak] " + REQUESTS + " requests: guest memory " + pagesAfterWarmup + " pages after warm-up, "
                + end + " at the end");
        // The heap is fixed (filters/pom.xml): guest memory never grows; a leak ends in an out-of-memory trap.
        assertEquals(pagesAfterWarmup, end, "guest memory grew after warm-up (pages)");
        assertTrue(end <= HostileSoakTest.BOUND_PAGES, "guest memory " + end + " pages");
    }

    @Test
    void failoverHeaders() throws Exception {
        String config = """
                {"localCluster": "east", "localLocality": "r0/z0",
                 "addressMap": {"10.0.0.1:15443": {"cluster": "mapped", "locality": "r9/z9"}}}
                """;
        int[] pages = new int[1];
        try (FilterHost host = FilterHost.start(FilterModule.FAILOVER_HEADERS, FilterModule.Mode.COMPILER, config)) {
            for (int i = 1; i <= REQUESTS; i++) {
                Exchange e = new Exchange(":path", "/p/" + i, "user-agent", "soak/" + i, "cookie", junk(i));
                String cluster;
                String locality;
                if (i % 3 == 0) {
                    e.property(List.of("upstream", "address"), "10.0.0.1:15443");
                    cluster = "mapped";
                    locality = "r9/z9";
                } else {
                    cluster = "c-" + (i % 13) + "-" + junk(i % 97);
                    locality = "r" + (i % 5) + "/z" + (i % 5);
                    e.property(FailoverHeadersTest.CLUSTER, cluster).property(FailoverHeadersTest.LOCALITY, locality);
                }
                String attempts = Integer.toString(i % 4 + 1);
                host.exchange(e, ":status", "200", "x-envoy-attempt-count", attempts, "set-cookie", junk(i + 1));
                if (!"east".equals(e.requestHeaders.get("x-meshfed-caller-cluster"))
                        || !cluster.equals(e.responseHeaders.get("x-meshfed-upstream-cluster"))
                        || !locality.equals(e.responseHeaders.get("x-meshfed-upstream-locality"))
                        || !Boolean.toString(!locality.equals("r0/z0")).equals(e.responseHeaders.get("x-meshfed-failover"))
                        || !attempts.equals(e.responseHeaders.get("x-meshfed-attempts"))
                        || !junk(i + 1).equals(e.responseHeaders.get("set-cookie"))) {
                    fail("request " + i + " corrupted: request " + e.requestHeaders + " response " + e.responseHeaders);
                }
                checkMemory(host, pages, i);
            }
            assertEquals(List.of("INFO failover-headers: configured"), host.logs);
            assertBounded(host, pages[0]);
        }
    }

    @Test
    void retryBudget() throws Exception {
        String config = """
                {"budgetPercent": 20, "minRetriesPerSecond": 0.000556, "windowSeconds": 3600}
                """;
        int[] pages = new int[1];
        long originals = 0;
        long retries = 0;
        long refused = 0;
        try (FilterHost host = FilterHost.start(FilterModule.RETRY_BUDGET, FilterModule.Mode.COMPILER, config)) {
            for (int i = 1; i <= REQUESTS; i++) {
                // Bursts of retries every 1000 requests exhaust the budget; originals refill it.
                boolean retry = i % 5 == 0 || (i % 1000) < 40;
                Exchange e = new Exchange(":path", "/r/" + junk(i % 50), "x-envoy-attempt-count", retry ? "2" : "1",
                        "x-trace", junk(i));
                FilterHost.Outcome o = host.exchange(e, ":status", "200");
                boolean allowed = !retry || retries + 1 <= 2 + (long) (0.2 * originals);
                if (!retry) {
                    originals++;
                } else if (allowed) {
                    retries++;
                } else {
                    refused++;
                }
                boolean wasRefused = o.localResponse() != null;
                if (wasRefused == allowed || (wasRefused && (o.request() != Action.PAUSE
                        || o.localResponse().statusCode() != 503)) || !junk(i).equals(e.requestHeaders.get("x-trace"))) {
                    fail("request " + i + " (retry=" + retry + ") expected allowed=" + allowed + " but got " + o);
                }
                checkMemory(host, pages, i);
            }
            assertTrue(refused > 0 && retries > 0, "the soak must exercise both decisions");
            assertEquals(REQUESTS, host.metrics.value("meshfed_retry_budget_requests_total"));
            assertEquals(retries, host.metrics.value("meshfed_retry_budget_retries_allowed_total"));
            assertEquals(refused, host.metrics.value("meshfed_retry_budget_retries_refused_total"));
            assertEquals(List.of(), host.logs);
            assertBounded(host, pages[0]);
        }
    }

    @Test
    void telemetryTags() throws Exception {
        String config = """
                {"tags": {"mesh": "m", "cluster": "c", "network": "n", "locality": "r/z"}}
                """;
        String scope = "meshfed.mesh.m.cluster.c.network.n.locality.r_z";
        String[] statuses = {"200", "404", "503", "301", "200", "100", "abc"};
        long[] perClass = new long[6];
        int[] pages = new int[1];
        try (FilterHost host = FilterHost.start(FilterModule.TELEMETRY_TAGS, FilterModule.Mode.COMPILER, config)) {
            for (int i = 1; i <= REQUESTS; i++) {
                String status = statuses[i % statuses.length];
                Exchange e = new Exchange(":path", "/t/" + i, "x-meshfed-cluster", junk(i), "accept", junk(i + 7));
                host.exchange(e, ":status", status, "server", junk(i + 3));
                int cls = status.charAt(0) >= '1' && status.charAt(0) <= '5' && Character.isDigit(status.charAt(1))
                        ? status.charAt(0) - '1' : 5;
                perClass[cls]++;
                if (!"m".equals(e.requestHeaders.get("x-meshfed-mesh")) || !"c".equals(e.requestHeaders.get("x-meshfed-cluster"))
                        || !"n".equals(e.requestHeaders.get("x-meshfed-network"))
                        || !"r/z".equals(e.requestHeaders.get("x-meshfed-locality"))
                        || !junk(i + 7).equals(e.requestHeaders.get("accept"))) {
                    fail("request " + i + " corrupted: " + e.requestHeaders);
                }
                checkMemory(host, pages, i);
            }
            assertEquals(REQUESTS, host.metrics.value(scope + ".requests_total"));
            assertEquals(perClass[1], host.metrics.value(scope + ".response_class.2xx"));
            assertEquals(perClass[4], host.metrics.value(scope + ".response_class.5xx"));
            assertEquals(perClass[5], host.metrics.value(scope + ".response_class.other"));
            assertEquals(REQUESTS, host.metrics.samples(scope + ".request_duration_ms").size());
            assertBounded(host, pages[0]);
        }
    }
}
