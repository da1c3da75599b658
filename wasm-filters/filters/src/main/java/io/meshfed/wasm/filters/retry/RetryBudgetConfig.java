package io.meshfed.wasm.filters.retry;

import io.meshfed.wasm.sdk.ConfigReader;
import io.meshfed.wasm.sdk.InvalidConfigException;

/** Validated configuration of retry-budget; immutable. See docs/wasm-filters.md for each key. */
public final class RetryBudgetConfig {
    enum Mode { REJECT, DISABLE_RETRIES }

    final double budgetPercent;
    final double minRetriesPerSecond;
    final int windowSeconds;
    final String sharedDataKey;
    final String attemptHeader;
    final Mode mode;
    final int rejectStatus;
    final String reasonHeader;
    final String metricPrefix;

    private RetryBudgetConfig(ConfigReader r) {
        budgetPercent = r.number("budgetPercent", 20, 0, 1000);
        minRetriesPerSecond = r.number("minRetriesPerSecond", 10, 0, 1_000_000);
        windowSeconds = r.integer("windowSeconds", 10, 1, 86_400);
        sharedDataKey = r.string("sharedDataKey", "meshfed.retry-budget");
        if (sharedDataKey.isEmpty()) {
            throw new InvalidConfigException("sharedDataKey: must not be empty");
        }
        attemptHeader = r.headerName("attemptHeader", "x-envoy-attempt-count");
        String m = r.string("mode", "reject");
        if (m.equals("reject")) {
            mode = Mode.REJECT;
        } else if (m.equals("disable-retries")) {
            mode = Mode.DISABLE_RETRIES;
        } else {
            throw new InvalidConfigException("mode: \"" + m + "\" is not one of \"reject\", \"disable-retries\"");
        }
        rejectStatus = r.integer("rejectStatus", 503, 200, 599);
        reasonHeader = r.headerName("reasonHeader", "x-meshfed-retry-budget");
        metricPrefix = r.string("metricPrefix", "meshfed_retry_budget");
        r.finish();
    }

    public static RetryBudgetConfig parse(byte[] configuration) {
        return new RetryBudgetConfig(ConfigReader.parse(configuration));
    }
}
