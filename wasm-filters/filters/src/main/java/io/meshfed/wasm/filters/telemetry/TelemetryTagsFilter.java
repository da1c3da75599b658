package io.meshfed.wasm.filters.telemetry;

import io.meshfed.wasm.sdk.Action;
import io.meshfed.wasm.sdk.HeaderMapType;
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
 */
public final class TelemetryTagsFilter extends RootContext {
    private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};

    private TelemetryTagsConfig config;
    // Encoded once per configuration; null where the tag is not configured.
    private Utf8String[] headerNames;
    private Utf8String[] headerValues;
    private int requestsMetric;
    private int durationMetric;
    private final int[] classMetrics = new int[CLASSES.length];
    private int otherClassMetric;

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

        @Override
        public Action onRequestHeaders(int headerCount, boolean endOfStream) {
            startNanos = host.currentTimeNanos();
            Utf8String[] values = root.headerValues;
            for (int i = 0; i < values.length; i++) {
                if (values[i] != null) {
                    host.replaceHeader(HeaderMapType.REQUEST_HEADERS, root.headerNames[i], values[i]);
                }
            }
            host.incrementMetric(root.requestsMetric, 1);
            return Action.CONTINUE;
        }

        @Override
        public Action onResponseHeaders(int headerCount, boolean endOfStream) {
            String status = host.getHeader(HeaderMapType.RESPONSE_HEADERS, ":status");
            int cls = status != null && status.length() == 3 ? status.charAt(0) - '1' : -1;
            host.incrementMetric(cls >= 0 && cls < CLASSES.length ? root.classMetrics[cls] : root.otherClassMetric, 1);
            counted = true;
            return Action.CONTINUE;
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
}
