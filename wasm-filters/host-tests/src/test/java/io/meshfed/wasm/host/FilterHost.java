package io.meshfed.wasm.host;

import com.dylibso.chicory.runtime.Memory;
import io.roastedroot.proxywasm.LogHandler;
import io.roastedroot.proxywasm.LogLevel;
import io.roastedroot.proxywasm.PluginFactory;
import io.roastedroot.proxywasm.SharedDataHandler;
import io.roastedroot.proxywasm.SimpleSharedDataHandler;
import io.roastedroot.proxywasm.StartException;
import io.roastedroot.proxywasm.internal.Action;
import io.roastedroot.proxywasm.internal.Plugin;
import io.roastedroot.proxywasm.internal.PluginHttpContext;
import io.roastedroot.proxywasm.internal.SendResponse;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One filter VM in io.roastedroot:proxy-wasm-java-host (a third-party proxy-wasm host on Chicory), plus
 * what the proxy around it would observe: logs, metrics and shared data (which two hosts may share, as
 * Envoy's worker VMs do). Not thread-safe, like a VM.
 */
public final class FilterHost implements AutoCloseable {
    public final List<String> logs;
    public final RecordingMetrics metrics;
    private final Plugin plugin;

    private FilterHost(Plugin plugin, RecordingMetrics metrics, List<String> logs) {
        this.plugin = plugin;
        this.metrics = metrics;
        this.logs = logs;
    }

    /** Starts a VM with the given plugin configuration; throws StartException when the filter rejects it. */
    public static FilterHost start(FilterModule module, FilterModule.Mode mode, String configuration,
            SharedDataHandler sharedData, RecordingMetrics metrics, Map<List<String>, String> pluginProperties,
            List<String> logSink) throws StartException {
        return start(module, mode, configuration.getBytes(StandardCharsets.UTF_8), sharedData, metrics,
                pluginProperties, logSink);
    }

    /** {@link #start} with configuration bytes as they are (they need not be UTF-8). */
    public static FilterHost start(FilterModule module, FilterModule.Mode mode, byte[] configuration,
            SharedDataHandler sharedData, RecordingMetrics metrics, Map<List<String>, String> pluginProperties,
            List<String> logSink) throws StartException {
        LogHandler logger = new LogHandler() {
            @Override
            public void log(LogLevel level, String message) {
                logSink.add(level + " " + message);
            }
        };
        PluginFactory.Builder b = PluginFactory.builder(module.parsed()).withName(module.name())
                .withLogger(logger).withMetricsHandler(metrics).withSharedDataHandler(sharedData)
                .withPluginConfig(configuration);
        pluginProperties.forEach(b::withProperty);
        if (module.machineFactory(mode) != null) {
            b.withMachineFactory(module.machineFactory(mode));
        }
        try {
            return new FilterHost((Plugin) b.build().create(), metrics, logSink);
        } catch (StartException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public static FilterHost start(FilterModule module, FilterModule.Mode mode, String configuration) throws StartException {
        return start(module, mode, configuration, new SimpleSharedDataHandler(), new RecordingMetrics(), Map.of(),
                Collections.synchronizedList(new ArrayList<>()));
    }

    /** Result of one exchange: the filter's verdicts and a local response if it sent one. */
    public record Outcome(Action request, Action response, SendResponse localResponse) {
        public String localResponseHeader(String name) {
            return localResponse == null ? null : localResponse.headers().get(name);
        }

        public String localResponseBody() {
            return localResponse == null ? null : new String(localResponse.body(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Runs one exchange through the filter the way the proxy would: request headers, then (unless the filter
     * answered locally) the upstream's response headers, then end of stream (done, log, delete).
     */
    public Outcome exchange(Exchange exchange, String... upstreamResponseHeaders) {
        PluginHttpContext http = plugin.createHttpContext(exchange);
        try {
            Action req = http.context().callOnRequestHeaders(false);
            SendResponse local = http.consumeSentHttpResponse();
            Action resp = null;
            if (local == null && req == Action.CONTINUE) {
                for (int i = 0; i < upstreamResponseHeaders.length; i += 2) {
                    exchange.responseHeaders.add(upstreamResponseHeaders[i], upstreamResponseHeaders[i + 1]);
                }
                resp = http.context().callOnResponseHeaders(false);
            }
            return new Outcome(req, resp, local);
        } finally {
            http.context().close();
        }
    }

    /** Linear memory size of the guest, in 64 KiB pages. */
    public int memoryPages() {
        try {
            Object proxyWasm = field(plugin, "wasm");
            Object abi = field(proxyWasm, "abi");
            return ((Memory) field(abi, "memory")).pages();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot inspect guest memory of this host version", e);
        }
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }

    @Override
    public void close() {
        plugin.close();
    }
}
