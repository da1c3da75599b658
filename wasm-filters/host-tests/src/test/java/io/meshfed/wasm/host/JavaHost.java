package io.meshfed.wasm.host;

import io.meshfed.wasm.sdk.HeaderMapType;
import io.meshfed.wasm.sdk.Host;
import io.meshfed.wasm.sdk.LogLevel;
import io.meshfed.wasm.sdk.MetricType;
import io.meshfed.wasm.sdk.SharedValue;
import io.roastedroot.proxywasm.SharedData;
import io.roastedroot.proxywasm.SimpleSharedDataHandler;
import io.roastedroot.proxywasm.internal.ProxyMap;
import io.roastedroot.proxywasm.internal.WasmResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The filters' {@link Host} as plain Java, over the same header maps, metric store and shared-data store
 * the Wasm host uses: the benchmark's baseline, where only the Wasm boundary and TeaVM are missing.
 */
final class JavaHost implements Host {
    final RecordingMetrics metrics = new RecordingMetrics();
    final SimpleSharedDataHandler shared = new SimpleSharedDataHandler();
    final List<String> logs = new ArrayList<>();
    Exchange current;
    int localResponses;

    private ProxyMap map(HeaderMapType type) {
        return switch (type) {
            case REQUEST_HEADERS -> current.requestHeaders;
            case RESPONSE_HEADERS -> current.responseHeaders;
            default -> current.getHttpRequestTrailers();
        };
    }

    @Override
    public String getHeader(HeaderMapType map, String name) {
        return map(map).get(name);
    }

    @Override
    public String[] getHeaders(HeaderMapType map) {
        List<String> out = new ArrayList<>();
        for (var e : map(map).entries()) {
            out.add(e.getKey());
            out.add(e.getValue());
        }
        return out.toArray(new String[0]);
    }

    @Override
    public void addHeader(HeaderMapType map, String name, String value) {
        map(map).add(name, value);
    }

    @Override
    public void replaceHeader(HeaderMapType map, String name, String value) {
        map(map).put(name, value);
    }

    @Override
    public void removeHeader(HeaderMapType map, String name) {
        map(map).remove(name);
    }

    @Override
    public byte[] getProperty(String... path) {
        return current.getProperty(null, Arrays.asList(path));
    }

    @Override
    public int defineMetric(MetricType type, String name) {
        return metrics.defineMetric(io.roastedroot.proxywasm.MetricType.values()[type.ordinal()], name);
    }

    @Override
    public void incrementMetric(int metricId, long delta) {
        metrics.incrementMetric(metricId, delta);
    }

    @Override
    public void recordMetric(int metricId, long value) {
        metrics.recordMetric(metricId, value);
    }

    @Override
    public long getMetric(int metricId) {
        return metrics.getMetric(metricId);
    }

    @Override
    public SharedValue getSharedData(String key) {
        try {
            SharedData d = shared.getSharedData(key);
            return d == null ? new SharedValue(null, 0) : new SharedValue(d.data().clone(), d.cas());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean setSharedData(String key, byte[] value, int cas) {
        return shared.setSharedData(key, value.clone(), cas) == WasmResult.OK;
    }

    @Override
    public void sendLocalResponse(int status, String details, String body, String... headers) {
        localResponses++;
    }

    @Override
    public void log(LogLevel level, String message) {
        logs.add(level + " " + message);
    }

    @Override
    public long currentTimeNanos() {
        return System.nanoTime();
    }
}
