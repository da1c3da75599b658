package io.meshfed.wasm.filters.telemetry;

import io.meshfed.wasm.sdk.Action;
import io.meshfed.wasm.sdk.Failures;
import io.meshfed.wasm.sdk.HeaderMapType;
import io.meshfed.wasm.sdk.HeaderMatches;
import io.meshfed.wasm.sdk.Host;
import io.meshfed.wasm.sdk.HttpContext;
import io.meshfed.wasm.sdk.InvalidConfigException;
import io.meshfed.wasm.sdk.LogLevel;
import io.meshfed.wasm.sdk.MetricType;
import io.meshfed.wasm.sdk.RootContext;
import io.meshfed.wasm.sdk.Utf8String;

/**
 * telemetry-tags: stamps every request with the configured mesh/cluster/network/locality tags as headers,
 * and counts requests, responses by status class and request duration in metrics whose names carry the
 * same tags ({@code <prefix>.mesh.<m>.cluster.<c>...<metric>}), so telemetry from every cluster can be
 * told apart; Envoy's {@code stats_tags} turn the name segments into real tags (see deploy/envoy.yaml).
 *
 * <p>Fails closed: the tag headers replace whatever the client sent in any spelling of their names; when
 * the request callback fails they are removed instead, a response whose status cannot be read or is not
 * three digits counts as {@code other}, and every failure is counted in {@code ....failures_total} and
 * logged ({@link Failures}).
 */
public final class TelemetryTagsFilter extends RootContext {
    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    private static final Utf8String[] STATUS = {Utf8String.of(":status")};

    private TelemetryTagsConfig config;
    // Encoded once per configuration; null where the tag is not configured.
    private Utf8String[] headerNames;
    private Utf8String[] headerValues;
    private int requestsMetric;
    private int durationMetric;
    private final int[] classMetrics = new int[CLASSES.length];
    private int otherClassMetric;
    private Failures failures;
    /** The configured tag headers only, for matching in one read. */
    private Utf8String[] configuredHeaderNames;

    public TelemetryTagsFilter(Host host) {
        super(host);
    }

    @Override
    public boolean onConfigure(byte[] configuration) {
        TelemetryTagsConfig parsed;
        try {
            parsed = TelemetryTagsConfig.parse(configuration);
        } catch (InvalidConfigException e) {
            host.log(LogLevel.ERROR, "telemetry-tags: rejected configuration: " + e.getMessage());
            return false;
        }
        config = parsed;
        headerNames = new Utf8String[TelemetryTagsConfig.TAGS.length];
        headerValues = new Utf8String[TelemetryTagsConfig.TAGS.length];
        StringBuilder scope = new StringBuilder(parsed.metricPrefix);
        for (int i = 0; i < headerNames.length; i++) {
            if (parsed.values[i] != null) {
                headerNames[i] = Utf8String.of(parsed.headerPrefix + TelemetryTagsConfig.TAGS[i]);
                headerValues[i] = Utf8String.of(parsed.values[i]);
                scope.append('.').append(TelemetryTagsConfig.TAGS[i]).append('.').append(parsed.values[i].replace('/', '_'));
            }
        }
        String s = scope.toString();
        requestsMetric = host.defineMetric(MetricType.COUNTER, s + ".requests_total");
        durationMetric = host.defineMetric(MetricType.HISTOGRAM, s + ".request_duration_ms");
        for (int i = 0; i < CLASSES.length; i++) {
            classMetrics[i] = host.defineMetric(MetricType.COUNTER, s + ".response_class." + CLASSES[i]);
        }
        otherClassMetric = host.defineMetric(MetricType.COUNTER, s + ".response_class.other");
        failures = new Failures(host, "telemetry-tags", s + ".failures_total");
        int configured = 0;
        for (Utf8String n : headerNames) {
            configured += n == null ? 0 : 1;
        }
        configuredHeaderNames = new Utf8String[configured];
        configured = 0;
        for (Utf8String n : headerNames) {
            if (n != null) {
                configuredHeaderNames[configured++] = n;
            }
        }
        return true;
    }

    @Override
    public HttpContext newHttpContext(int contextId) {
        return new Exchange(host, this);
    }

    static final class Exchange extends HttpContext {
        private final TelemetryTagsFilter root;
        private long startNanos;
        private boolean counted;

        Exchange(Host host, TelemetryTagsFilter root) {
            super(host);
            this.root = root;
        }

        private boolean requestCounted;

        @Override
        public Action onRequestHeaders(int headerCount, boolean endOfStream) {
            startNanos = host.currentTimeNanos();
            HeaderMatches m = host.matchHeaders(HeaderMapType.REQUEST_HEADERS, root.configuredHeaderNames, 0);
            for (int n = 0; n < root.configuredHeaderNames.length; n++) {
                host.clearOwned(HeaderMapType.REQUEST_HEADERS, m, root.configuredHeaderNames, n);
            }
            Utf8String[] values = root.headerValues;
            for (int i = 0; i < values.length; i++) {
                if (values[i] != null) {
                    host.replaceHeader(HeaderMapType.REQUEST_HEADERS, root.headerNames[i], values[i]);
                }
            }
            host.incrementMetric(root.requestsMetric, 1);
            requestCounted = true;
            return Action.CONTINUE;
        }

        @Override
        public Action onRequestHeadersFailed(RuntimeException cause) {
            for (Utf8String name : root.configuredHeaderNames) {
                host.removeHeader(HeaderMapType.REQUEST_HEADERS, name);
            }
            if (!requestCounted) {
                host.incrementMetric(root.requestsMetric, 1);
                requestCounted = true;
            }
            root.failures.record("request headers", cause, "tag headers removed");
            return Action.CONTINUE;
        }

        @Override
        public Action onResponseHeaders(int headerCount, boolean endOfStream) {
            HeaderMatches m = host.matchHeaders(HeaderMapType.RESPONSE_HEADERS, STATUS, 3);
            int cls = m.count(0) == 0 ? -1 : statusClass(m.value(0, 0));
            host.incrementMetric(cls >= 0 ? root.classMetrics[cls] : root.otherClassMetric, 1);
            counted = true;
            return Action.CONTINUE;
        }

        @Override
        public Action onResponseHeadersFailed(RuntimeException cause) {
            if (!counted) {
                host.incrementMetric(root.otherClassMetric, 1);
                counted = true;
            }
            root.failures.record("response headers", cause, "counted as other");
            return Action.CONTINUE;
        }

        @Override
        public void onLogFailed(RuntimeException cause) {
            root.failures.record("request duration", cause, "not recorded");
        }

        @Override
        public void onLog() {
            if (!counted) {
                host.incrementMetric(root.otherClassMetric, 1);
            }
            if (startNanos != 0) {
                long ms = (host.currentTimeNanos() - startNanos) / 1_000_000L;
                host.recordMetric(root.durationMetric, Math.max(0, ms));
            }
        }
    }

    /** Index into {@link #CLASSES} of a status of exactly three digits 100-599, else -1 (other). */
    static int statusClass(String status) {
        if (status == null || status.length() != 3) {
            return -1;
        }
        for (int i = 0; i < 3; i++) {
            if (status.charAt(i) < '0' || status.charAt(i) > '9') {
                return -1;
            }
        }
        int cls = status.charAt(0) - '1';
        return cls >= 0 && cls < CLASSES.length ? cls : -1;
    }
}
