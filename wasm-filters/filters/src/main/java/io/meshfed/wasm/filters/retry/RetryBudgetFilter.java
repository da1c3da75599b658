package io.meshfed.wasm.filters.retry;

import io.meshfed.wasm.sdk.Action;
import io.meshfed.wasm.sdk.Failures;
import io.meshfed.wasm.sdk.HeaderMapType;
import io.meshfed.wasm.sdk.HeaderMatches;
import io.meshfed.wasm.sdk.Host;
import io.meshfed.wasm.sdk.HostCallException;
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
 * is recomputed from fresh state, up to {@link #MAX_CAS_ATTEMPTS} times.
 *
 * <p>Fails closed: whatever the filter cannot establish counts against the budget. A request whose attempt
 * header cannot be read or is not a number (in any spelling or number of copies) is a retry; when the
 * callback fails, the reason header is removed and the request is counted as a retry (unless it was
 * already read as an original); when the budget itself cannot be updated (CAS conflicts without end,
 * shared data failing), a retry is refused and an original goes through uncounted. Each of these is counted in {@code <metricPrefix>_failures_total} and
 * logged ({@link Failures}).
 */
public final class RetryBudgetFilter extends RootContext {
    static final int MAX_CAS_ATTEMPTS = 16;
    /** Longest attempt header value copied out of the host; longer ones are unreadable, so retries. */
    static final int MAX_ATTEMPT_BYTES = 32;

    private RetryBudgetConfig config;
    private RetryBudget budget;
    // Encoded once per configuration: they are sent to the host on every request.
    private Utf8String[] attemptHeader;
    private Utf8String reasonHeader;
    private Utf8String sharedDataKey;
    private int requestsMetric;
    private int retriesAllowedMetric;
    private int retriesRefusedMetric;
    private int casConflictsMetric;
    private Failures failures;
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
        attemptHeader = new Utf8String[] {Utf8String.of(parsed.attemptHeader)};
        reasonHeader = Utf8String.of(parsed.reasonHeader);
        sharedDataKey = Utf8String.of(parsed.sharedDataKey);
        budget = new RetryBudget(parsed.budgetPercent / 100.0, parsed.minRetriesPerSecond, parsed.windowSeconds);
        requestsMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_requests_total");
        retriesAllowedMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_retries_allowed_total");
        retriesRefusedMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_retries_refused_total");
        casConflictsMetric = host.defineMetric(MetricType.COUNTER, parsed.metricPrefix + "_cas_conflicts_total");
        failures = new Failures(host, "retry-budget", parsed.metricPrefix + "_failures_total");
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
        if (retry) {
            failures.record("budget update", "shared state changed " + MAX_CAS_ATTEMPTS + " times", "retry refused");
            return RetryBudget.Decision.RETRY_REFUSED;
        }
        failures.record("budget update", "shared state changed " + MAX_CAS_ATTEMPTS + " times",
                "original let through uncounted");
        return RetryBudget.Decision.ORIGINAL;
    }

    static final class Exchange extends HttpContext {
        private final RetryBudgetFilter root;

        Exchange(Host host, RetryBudgetFilter root) {
            super(host);
            this.root = root;
        }

        private boolean counted;
        /** Set once the attempt header was read and said "original": such a request is never refused. */
        private boolean knownOriginal;

        @Override
        public Action onRequestHeaders(int headerCount, boolean endOfStream) {
            HeaderMatches m = host.matchHeaders(HeaderMapType.REQUEST_HEADERS, root.attemptHeader, MAX_ATTEMPT_BYTES);
            boolean retry = false;
            for (int i = 0; i < m.count(0); i++) {
                int kind = attemptKind(m.value(0, i));
                if (kind == UNREADABLE) {
                    root.failures.record("attempt header", m.value(0, i) == null ? "longer than " + MAX_ATTEMPT_BYTES
                            + " bytes" : "not a number", "counted as a retry");
                }
                retry |= kind != ORIGINAL;
            }
            knownOriginal = !retry;
            host.incrementMetric(root.requestsMetric, 1);
            counted = true;
            return apply(root.decide(retry));
        }

        /**
         * The callback failed. Unless the attempt header was read and said "original" (then only the
         * budget update failed, and an original is never refused), the request counts as a retry.
         */
        @Override
        public Action onRequestHeadersFailed(RuntimeException cause) {
            host.removeHeader(HeaderMapType.REQUEST_HEADERS, root.reasonHeader);
            if (!counted) {
                host.incrementMetric(root.requestsMetric, 1);
                counted = true;
            }
            if (knownOriginal) {
                root.failures.record("budget update", cause, "original let through uncounted");
                return Action.CONTINUE;
            }
            root.failures.record("request headers", cause, "counted as a retry");
            RetryBudget.Decision d;
            try {
                d = root.decide(true);
            } catch (HostCallException e) {
                root.failures.record("budget update", e, "retry refused");
                d = RetryBudget.Decision.RETRY_REFUSED;
            }
            return apply(d);
        }

        private Action apply(RetryBudget.Decision d) {
            RetryBudgetConfig c = root.config;
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

        static final int ORIGINAL = 0;
        static final int RETRY = 1;
        static final int UNREADABLE = 2;

        /**
         * What one attempt header value says: {@link #ORIGINAL} for a number up to 1 (leading zeros
         * allowed), {@link #RETRY} above it however many digits, {@link #UNREADABLE} for {@code null} (too
         * long to copy out), empty or anything but digits.
         */
        static int attemptKind(String attempt) {
            if (attempt == null || attempt.isEmpty()) {
                return UNREADABLE;
            }
            int n = 0;
            for (int i = 0; i < attempt.length(); i++) {
                char ch = attempt.charAt(i);
                if (ch < '0' || ch > '9') {
                    return UNREADABLE;
                }
                n = Math.min(n * 10 + (ch - '0'), 10);
            }
            return n > 1 ? RETRY : ORIGINAL;
        }
    }
}
