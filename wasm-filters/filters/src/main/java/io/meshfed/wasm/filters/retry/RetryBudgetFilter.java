package io.meshfed.wasm.filters.retry;

import io.meshfed.wasm.sdk.Action;
import io.meshfed.wasm.sdk.HeaderMapType;
import io.meshfed.wasm.sdk.Host;
import io.meshfed.wasm.sdk.HttpContext;
import io.meshfed.wasm.sdk.InvalidConfigException;
import io.meshfed.wasm.sdk.LogLevel;
import io.meshfed.wasm.sdk.MetricType;
import io.meshfed.wasm.sdk.RootContext;
import io.meshfed.wasm.sdk.SharedValue;
import io.meshfed.wasm.sdk.Utf8String;

/**
 * retry-budget: counts original requests and retries (a request whose attempt header is above 1) in a
 * budget shared by every VM of the proxy, and refuses retries over budget: a local response (status and a
 * reason header) in {@code reject} mode, or {@code x-envoy-max-retries: 0} (the request goes on, but the
 * proxy retries it no further) in {@code disable-retries} mode.
 *
 * <p>Sharing: the budget state lives under one shared-data key; each request reads it, applies itself and
 * writes back with the CAS token it read. A CAS conflict means another VM got there first, so the update
 * is recomputed from fresh state (bounded; after that the request is let through uncounted, because
 * failing open is the safer error for a budget).
 */
public final class RetryBudgetFilter extends RootContext {
    static final int MAX_CAS_ATTEMPTS = 16;

    private RetryBudgetConfig config;
    private RetryBudget budget;
    // Encoded once per configuration: they are sent to the host on every request.
    private Utf8String attemptHeader;
    private Utf8String sharedDataKey;
    private int requestsMetric;
    private int retriesAllowedMetric;
    private int retriesRefusedMetric;
    private int casConflictsMetric;
    /** Reused buffer for the next state: per VM, and a VM runs one callback at a time. */
    private final byte[] next = new byte[RetryBudget.STATE_BYTES];

    public RetryBudgetFilter(Host host) {
        super(host);
    }

    @Override
    public boolean onConfigure(byte[] configuration) {
        RetryBudgetConfig parsed;
        try {
            parsed = RetryBudgetConfig.parse(configuration);
        } catch (InvalidConfigException e) {
            host.log(LogLevel.ERROR, "retry-budget: rejected configuration: " + e.getMessage());
            return false;
        }
        config = parsed;
        attemptHeader = Utf8String.of(parsed.attemptHeader);
        sharedDataKey = Utf8String.of(parsed.sharedDataKey);
        budget = new RetryBudget(parsed.budgetPercent / 100.0, parsed.minRetriesPerSecond, parsed.windowSeconds);
        requestsMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_requests_total");
        retriesAllowedMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_retries_allowed_total");
        retriesRefusedMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_retries_refused_total");
        casConflictsMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_cas_conflicts_total");
        return true;
    }

    @Override
    public HttpContext newHttpContext(int contextId) {
        return new Exchange(host, this);
    }

    RetryBudget.Decision decide(boolean retry) {
        for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            SharedValue current = host.getSharedData(sharedDataKey);
            RetryBudget.Decision d = budget.apply(current.value(), host.currentTimeNanos(), retry, next);
            if (d == RetryBudget.Decision.RETRY_REFUSED) {
                return d;
            }
            if (host.setSharedData(sharedDataKey, next, current.cas())) {
                return d;
            }
            host.incrementMetric(casConflictsMetric, 1);
        }
        host.log(LogLevel.WARN, "retry-budget: shared state kept changing; letting the request through uncounted");
        return retry ? RetryBudget.Decision.RETRY_ALLOWED : RetryBudget.Decision.ORIGINAL;
    }

    static final class Exchange extends HttpContext {
        private final RetryBudgetFilter root;

        Exchange(Host host, RetryBudgetFilter root) {
            super(host);
            this.root = root;
        }

        @Override
        public Action onRequestHeaders(int headerCount, boolean endOfStream) {
            RetryBudgetConfig c = root.config;
            String attempt = host.getHeader(HeaderMapType.REQUEST_HEADERS, root.attemptHeader);
            boolean retry = attempt != null && isRetry(attempt);
            host.incrementMetric(root.requestsMetric, 1);
            RetryBudget.Decision d = root.decide(retry);
            if (d == RetryBudget.Decision.RETRY_ALLOWED) {
                host.incrementMetric(root.retriesAllowedMetric, 1);
                return Action.CONTINUE;
            }
            if (d == RetryBudget.Decision.ORIGINAL) {
                return Action.CONTINUE;
            }
            host.incrementMetric(root.retriesRefusedMetric, 1);
            if (c.mode == RetryBudgetConfig.Mode.REJECT) {
                host.sendLocalResponse(c.rejectStatus, "retry_budget_exhausted", "retry budget exhausted\n",
                        c.reasonHeader, "exhausted");
                return Action.PAUSE;
            }
            host.replaceHeader(HeaderMapType.REQUEST_HEADERS, "x-envoy-max-retries", "0");
            host.replaceHeader(HeaderMapType.REQUEST_HEADERS, c.reasonHeader, "retries-disabled");
            return Action.CONTINUE;
        }

        /** Attempt header value above 1; garbage counts as an original request. */
        static boolean isRetry(String attempt) {
            int n = 0;
            if (attempt.isEmpty() || attempt.length() > 6) {
                return false;
            }
            for (int i = 0; i < attempt.length(); i++) {
                char ch = attempt.charAt(i);
                if (ch < '0' || ch > '9') {
                    return false;
                }
                n = n * 10 + (ch - '0');
            }
            return n > 1;
        }
    }
}
