package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.roastedroot.proxywasm.internal.ArrayBytesProxyMap;
import io.roastedroot.proxywasm.internal.ProxyMap;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile and normal requests mixed in one VM per filter (Chicory compiler): oversized header values and
 * names, hundreds of headers, duplicates and other spellings of the headers the filters own, control
 * characters, values that are not UTF-8. Every request's outcome is checked (normal ones exactly, hostile
 * ones for the fail-closed outcome), and guest memory must not grow after warm-up.
 *
 * <p>{@code -Dsoak.hostile.requests=N} (default 12,000, about a second per filter) sets the number of
 * requests per filter; {@code -Psoak} runs 1,000,000 (see docs/wasm-filters.md).
 */
class HostileSoakTest {
    static final int REQUESTS = Integer.getInteger("soak.hostile.requests", 12_000);
    static final int WARMUP = REQUESTS / 4;
    /** One in this many requests is hostile; the kinds rotate. */
    static final int HOSTILE_EVERY = 3;
    static final int KINDS = 8;
    static final String HUGE_VALUE = "v".repeat(300 * 1024);
    static final String HUGE_NAME = "x-" + "n".repeat(300 * 1024);
    /** Large, but within what the guest takes (its arena is 256 KiB): read and carried, not refused. */
    static final String LARGE_VALUE = "l".repeat(200 * 1024);
    static final String[] MANY = HostileInputTest.manyHeaders(300);

    /** The hostile kind of request {@code i}, or -1 for a normal one. */
    static int kind(int i) {
        return i % HOSTILE_EVERY == 0 ? (i / HOSTILE_EVERY) % KINDS : -1;
    }

    /** Request headers for kind {@code k}, on top of {@code normal} ones; {@code owned} is forged in. */
    static ProxyMap requestHeaders(int k, String owned, String[] normal) {
        ArrayBytesProxyMap m = new ArrayBytesProxyMap();
        for (int p = 0; p < normal.length; p += 2) {
            m.add(normal[p], normal[p + 1]);
        }
        switch (k) {
            case 0 -> m.add("cookie", HUGE_VALUE);
            case 1 -> m.add(HUGE_NAME, "x");
            case 2 -> {
                for (int p = 0; p < MANY.length; p += 2) {
                    m.add(MANY[p], MANY[p + 1]);
                }
            }
            case 3 -> {
                m.add(owned, "forged-1");
                m.add(owned, "forged-2");
                m.add(owned.toUpperCase(), "forged-3");
            }
            case 4 -> m.add("x-ctl", "a\r\nb\u0000c\u007f");
            case 5 -> m.add("x-bytes", new byte[] {(byte) 0xFF, (byte) 0xC3, 'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
            case 6 -> m.add(owned.substring(0, 1).toUpperCase() + owned.substring(1), "forged");
            case 7 -> m.add(owned, LARGE_VALUE);
            default -> { }
        }
        return m;
    }

    static boolean oversized(int k) {
        return k == 0 || k == 1;
    }

    static int[] pages(FilterHost host, int[] seen, int i) {
        if (i == WARMUP) {
            seen[0] = host.memoryPages();
        }
        return seen;
    }

    static void assertFlat(FilterHost host, int afterWarmup) {
        int end = host.memoryPages();
        System.out.println("[soak] " + REQUESTS + " hostile-mix requests: guest memory " + afterWarmup + " pages after warm-up, "
                + end + " at the end");
        assertEquals(afterWarmup, end, "guest memory grew after warm-up (pages)");
        assertTrue(end <= BOUND_PAGES, "guest memory " + end + " pages exceeds " + BOUND_PAGES);
    }

    /**
     * What TeaVM's classic target takes with the fixed 4 MiB heap of filters/pom.xml: the heap and its mark
     * storage (1/16 of it), 68 pages, plus at most 12 for the 256 KiB stack, static data and the card and
     * region tables (3/1024 of the heap).
     */
    static final int BOUND_PAGES = 68 + 12;

    @Test
    void failoverHeaders() throws Exception {
        int[] seen = new int[1];
        try (FilterHost host = FilterHost.start(FilterModule.FAILOVER_HEADERS, FilterModule.Mode.COMPILER,
                FailoverHeadersTest.CONFIG)) {
            int failures = 0;
            for (int i = 1; i <= REQUESTS; i++) {
                int k = kind(i);
                String cluster = k == 7 ? LARGE_VALUE : "c" + i % 7;
                Exchange e = new Exchange(requestHeaders(k, "x-meshfed-caller-cluster", new String[] {":path", "/f/" + i}))
                        .property(FailoverHeadersTest.CLUSTER, cluster).property(FailoverHeadersTest.LOCALITY, "r/z");
                host.exchange(e, HostileInputTest.forgedUpstream("X-Meshfed-Upstream-Cluster", "forged", "x-envoy-attempt-count", "2"));
                String caller = HostileInputTest.owned(e.requestHeaders, "x-meshfed-caller-cluster");
                String response = HostileInputTest.owned(e.responseHeaders, "x-meshfed-upstream-cluster") + " "
                        + HostileInputTest.owned(e.responseHeaders, "x-meshfed-attempts");
                boolean ok = oversized(k) ? caller.equals("-") : caller.equals("east");
                ok &= response.equals(cluster + " 2");
                failures += oversized(k) ? 1 : 0;
                if (!ok) {
                    fail("request " + i + " (kind " + k + "): caller " + caller + ", response " + response);
                }
                pages(host, seen, i);
            }
            assertEquals(failures, host.metrics.value("meshfed_failover_headers_failures_total"));
            assertFlat(host, seen[0]);
        }
    }

    @Test
    void retryBudget() throws Exception {
        // Every retry (and every request that cannot be read, which counts as one) is refused.
        String config = "{\"budgetPercent\": 0, \"minRetriesPerSecond\": 0, \"windowSeconds\": 3600}";
        int[] seen = new int[1];
        try (FilterHost host = FilterHost.start(FilterModule.RETRY_BUDGET, FilterModule.Mode.COMPILER, config)) {
            long refused = 0;
            long failures = 0;
            for (int i = 1; i <= REQUESTS; i++) {
                int k = kind(i);
                String attempt = i % 5 == 0 ? "2" : "1";
                Exchange e = new Exchange(requestHeaders(k, "x-envoy-attempt-count",
                        new String[] {":path", "/r/" + i, "x-envoy-attempt-count", attempt}));
                FilterHost.Outcome o = host.exchange(e, ":status", "200");
                // Forged copies ("forged-n") and oversized maps are unreadable: a retry, and a failure each.
                boolean unreadable = oversized(k) || k == 3 || k == 6 || k == 7;
                boolean expectRefused = unreadable || attempt.equals("2");
                refused += expectRefused ? 1 : 0;
                failures += oversized(k) ? 1 : k == 3 ? 3 : k == 6 || k == 7 ? 1 : 0;
                if ((o.localResponse() != null) != expectRefused) {
                    fail("request " + i + " (kind " + k + ", attempt " + attempt + "): " + o + ", logs " + host.logs);
                }
                pages(host, seen, i);
            }
            assertEquals(REQUESTS, host.metrics.value("meshfed_retry_budget_requests_total"));
            assertEquals(refused, host.metrics.value("meshfed_retry_budget_retries_refused_total"));
            assertEquals(failures, host.metrics.value("meshfed_retry_budget_failures_total"));
            assertFlat(host, seen[0]);
        }
    }

    @Test
    void telemetryTags() throws Exception {
        int[] seen = new int[1];
        String scope = TelemetryTagsTest.SCOPE;
        String[] statuses = {"200", "5ab", "404", "1e3", "503", ""};
        try (FilterHost host = FilterHost.start(FilterModule.TELEMETRY_TAGS, FilterModule.Mode.COMPILER,
                TelemetryTagsTest.CONFIG)) {
            long other = 0;
            long failures = 0;
            for (int i = 1; i <= REQUESTS; i++) {
                int k = kind(i);
                String status = statuses[i % statuses.length];
                Exchange e = new Exchange(requestHeaders(k, "x-meshfed-cluster", new String[] {":path", "/t/" + i}));
                host.exchange(e, ":status", status);
                String tags = HostileInputTest.owned(e.requestHeaders, "x-meshfed-mesh") + "/"
                        + HostileInputTest.owned(e.requestHeaders, "x-meshfed-cluster");
                if (!tags.equals(oversized(k) ? "-/-" : "prod/east")) {
                    fail("request " + i + " (kind " + k + "): tags " + tags);
                }
                other += status.length() != 3 || !Character.isDigit(status.charAt(1)) ? 1 : 0;
                failures += oversized(k) ? 1 : 0;
                pages(host, seen, i);
            }
            assertEquals(REQUESTS, host.metrics.value(scope + ".requests_total"));
            assertEquals(other, host.metrics.value(scope + ".response_class.other"));
            assertEquals(failures, host.metrics.value(scope + ".failures_total"));
            assertFlat(host, seen[0]);
        }
    }
}
