package io.meshfed.wasm.host;

import io.roastedroot.proxywasm.MetricType;
import io.roastedroot.proxywasm.MetricsHandler;
import io.roastedroot.proxywasm.internal.WasmResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The proxy's metric store as tests see it: values and histogram samples by metric name. Thread-safe. */
public final class RecordingMetrics implements MetricsHandler {
    private final List<String> names = new ArrayList<>();
    private final List<MetricType> types = new ArrayList<>();
    private final List<Long> values = new ArrayList<>();
    private final Map<String, List<Long>> samples = new LinkedHashMap<>();

    @Override
    public synchronized int defineMetric(MetricType type, String name) {
        int existing = names.indexOf(name);
        if (existing >= 0) {
            return existing;
        }
        names.add(name);
        types.add(type);
        values.add(0L);
        return names.size() - 1;
    }

    @Override
    public synchronized WasmResult incrementMetric(int id, long delta) {
        if (id < 0 || id >= names.size()) {
            return WasmResult.NOT_FOUND;
        }
        values.set(id, values.get(id) + delta);
        return WasmResult.OK;
    }

    @Override
    public synchronized WasmResult recordMetric(int id, long value) {
        if (id < 0 || id >= names.size()) {
            return WasmResult.NOT_FOUND;
        }
        if (types.get(id) == MetricType.HISTOGRAM) {
            samples.computeIfAbsent(names.get(id), k -> new ArrayList<>()).add(value);
        } else {
            values.set(id, value);
        }
        return WasmResult.OK;
    }

    @Override
    public synchronized long getMetric(int id) {
        return values.get(id);
    }

    public synchronized long value(String name) {
        int id = names.indexOf(name);
        if (id < 0) {
            throw new AssertionError("metric " + name + " was never defined; defined: " + names);
        }
        return values.get(id);
    }

    public synchronized MetricType type(String name) {
        return types.get(names.indexOf(name));
    }

    public synchronized List<Long> samples(String name) {
        return List.copyOf(samples.getOrDefault(name, List.of()));
    }

    public synchronized List<String> names() {
        return List.copyOf(names);
    }
}
