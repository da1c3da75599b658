package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roastedroot.proxywasm.SimpleSharedDataHandler;
import io.roastedroot.proxywasm.internal.Action;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * retry-budget.wasm in the third-party host. Two VMs (two plugin instances, as two Envoy workers) share one
 * shared-data store, so the budget both spend is one budget. The window is long (an hour) so that the
 * whole test falls in one window whatever the clock says: the sequences are exact.
 */
class RetryBudgetTest {
    /** 50% of originals may be retried, floor 2 retries per window (minRetriesPerSecond * windowSeconds). */
    static final String REJECT = """
            {"budgetPercent": 50, "minRetriesPerSecond": 0.000556, "windowSeconds": 3600,
             "sharedDataKey": "budget.reviews"}
            """;

    static String run(FilterHost host, boolean retry) {
        Exchange e = retry ? new Exchange(":path", "/r", "x-envoy-attempt-count", "2") : new Exchange(":path", "/o");
        FilterHost.Outcome o = host.exchange(e, ":status", "200");
        String who = retry ? "retry" : "original";
        if (o.localResponse() != null) {
            return who + " -> local " + o.localResponse().statusCode() + " "
                    + o.localResponseHeader("x-meshfed-retry-budget") + " (" + o.request() + ")";
        }
        String maxRetries = e.requestHeaders.get("x-envoy-max-retries");
        return who + " -> upstream" + (maxRetries == null ? "" : " max-retries=" + maxRetries);
    }

    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void retriesOverBudgetAreRefusedAcrossTwoVmsSharingData(FilterModule.Mode mode) throws Exception {
        SimpleSharedDataHandler shared = new SimpleSharedDataHandler();
        RecordingMetrics metrics = new RecordingMetrics();
        List<String> logs = Collections.synchronizedList(new ArrayList<>());
        try (FilterHost vm1 = FilterHost.start(FilterModule.RETRY_BUDGET, mode, REJECT, shared, metrics, Map.of(), logs);
             FilterHost vm2 = FilterHost.start(FilterModule.RETRY_BUDGET, mode, REJECT, shared, metrics, Map.of(), logs)) {
            List<String> seen = new ArrayList<>();
            seen.add("vm1 " + run(vm1, true));   // floor: 1st of 2
            seen.add("vm2 " + run(vm2, true));   // floor: 2nd of 2
            seen.add("vm1 " + run(vm1, true));   // over: no originals yet
            seen.add("vm1 " + run(vm1, false));
            seen.add("vm2 " + run(vm2, false));  // 2 originals -> 50% = 1 more retry
            seen.add("vm2 " + run(vm2, true));
            seen.add("vm1 " + run(vm1, true));   // budget spent, as seen by the other VM
            seen.add("vm1 " + run(vm1, false));
            seen.add("vm2 " + run(vm2, false));
            seen.add("vm1 " + run(vm1, true));
            assertEquals(List.of(), logs);
            assertEquals(List.of(
                    "vm1 retry -> upstream",
                    "vm2 retry -> upstream",
                    "vm1 retry -> local 503 exhausted (PAUSE)",
                    "vm1 original -> upstream",
                    "vm2 original -> upstream",
                    "vm2 retry -> upstream",
                    "vm1 retry -> local 503 exhausted (PAUSE)",
                    "vm1 original -> upstream",
                    "vm2 original -> upstream",
                    "vm1 retry -> upstream"), seen);
            assertEquals(10, metrics.value("meshfed_retry_budget_requests_total"));
            assertEquals(4, metrics.value("meshfed_retry_budget_retries_allowed_total"));
            assertEquals(2, metrics.value("meshfed_retry_budget_retries_refused_total"));
        }
    }

    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void disableRetriesModeLetsTheRequestThroughWithoutFurtherRetries(FilterModule.Mode mode) throws Exception {
        String config = """
                {"budgetPercent": 0, "minRetriesPerSecond": 0, "windowSeconds": 3600, "mode": "disable-retries",
                 "reasonHeader": "x-budget", "metricPrefix": "rb"}
                """;
        try (FilterHost host = FilterHost.start(FilterModule.RETRY_BUDGET, mode, config)) {
            Exchange retry = new Exchange(":path", "/", "x-envoy-attempt-count", "3");
            FilterHost.Outcome o = host.exchange(retry, ":status", "200");
            assertEquals(Action.CONTINUE, o.request());
            assertEquals(null, o.localResponse());
            assertEquals("0", retry.requestHeaders.get("x-envoy-max-retries"));
            assertEquals("retries-disabled", retry.requestHeaders.get("x-budget"));
            Exchange original = new Exchange(":path", "/", "x-envoy-attempt-count", "1");
            host.exchange(original, ":status", "200");
            assertEquals(null, original.requestHeaders.get("x-envoy-max-retries"));
            assertEquals(1, host.metrics.value("rb_retries_refused_total"));
            assertEquals(0, host.metrics.value("rb_retries_allowed_total"));
        }
    }

    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void customRejectStatusAndBody(FilterModule.Mode mode) throws Exception {
        String config = """
                {"budgetPercent": 0, "minRetriesPerSecond": 0, "windowSeconds": 60, "rejectStatus": 429}
                """;
        try (FilterHost host = FilterHost.start(FilterModule.RETRY_BUDGET, mode, config)) {
            FilterHost.Outcome o = host.exchange(new Exchange(":path", "/", "x-envoy-attempt-count", "2"));
            assertEquals(429, o.localResponse().statusCode());
            assertEquals("retry budget exhausted\n", o.localResponseBody());
            assertEquals("exhausted", o.localResponseHeader("x-meshfed-retry-budget"));
        }
    }
}
