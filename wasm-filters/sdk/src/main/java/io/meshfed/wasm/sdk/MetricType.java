package io.meshfed.wasm.sdk;

/** Metric kinds of proxy-wasm ABI 0.2.1; {@link #code} is the wire value. */
public enum MetricType {
    COUNTER(0), GAUGE(1), HISTOGRAM(2);

    final int code;

    MetricType(int code) {
        this.code = code;
    }
}
