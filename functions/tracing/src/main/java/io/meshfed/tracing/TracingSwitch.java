package io.meshfed.tracing;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.Priorities;
import jakarta.annotation.Priority;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * OpenTelemetry's standard variables for Quarkus' OpenTelemetry extension, which reads only its own
 * {@code quarkus.otel.*} names: a {@code quarkus.otel.X} that no source sets takes {@code otel.X} (so
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_PROTOCOL}, {@code OTEL_TRACES_SAMPLER},
 * {@code OTEL_RESOURCE_ATTRIBUTES}, ... configure it), a traces endpoint or protocol the signal-independent one.
 *
 * <p>And tracing is on exactly when an OTLP endpoint is configured: {@code quarkus.otel.sdk.disabled}, unless set
 * explicitly, is {@code true} while none of {@link #ENDPOINTS} has a value from a configuration source (the standard
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} and {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} environment variables, their
 * {@code QUARKUS_OTEL_...} forms, system properties or {@code application.properties}). Quarkus' own default
 * endpoint ({@code http://localhost:4317}) does not count: without this switch every instance would export to a
 * collector that is not there. With the SDK disabled nothing is exported and no connection is made; meshfed's code
 * then takes OpenTelemetry's no-op tracer ({@link #tracer}), so no span is made either and the trace context an
 * event arrived with is passed on unchanged to the events it causes ({@link EventTraceContext}).
 *
 * <p>Registered as a SmallRye Config interceptor ({@code META-INF/services}), so it applies at build time (where no
 * endpoint is set: the recorded value is irrelevant, the property is read at run time) and at run time.
 */
@Priority(Priorities.APPLICATION + 100)
public final class TracingSwitch implements ConfigSourceInterceptor {
    static final String QUARKUS = "quarkus.";
    static final String QUARKUS_OTEL = "quarkus.otel.";
    static final String SDK_DISABLED = "quarkus.otel.sdk.disabled";
    /**
     * Where a Quarkus name not set is looked for, in order (otherwise {@code quarkus.otel.X} falls back to
     * {@code otel.X}): a traces endpoint or protocol falls back to the signal-independent one, as OpenTelemetry's
     * own variables do.
     */
    static final Map<String, List<String>> FALLBACKS = Map.of(
            "quarkus.otel.exporter.otlp.traces.endpoint", List.of("otel.exporter.otlp.traces.endpoint",
                    "quarkus.otel.exporter.otlp.endpoint", "otel.exporter.otlp.endpoint"),
            "quarkus.otel.exporter.otlp.traces.protocol", List.of("otel.exporter.otlp.traces.protocol",
                    "quarkus.otel.exporter.otlp.protocol", "otel.exporter.otlp.protocol"));
    /** Where an OTLP endpoint can be configured, in Quarkus' names and OpenTelemetry's own. */
    static final List<String> ENDPOINTS = List.of("quarkus.otel.exporter.otlp.traces.endpoint",
            "quarkus.otel.exporter.otlp.endpoint", "otel.exporter.otlp.traces.endpoint",
            "otel.exporter.otlp.endpoint");

    /**
     * The tracer meshfed's spans are made with: OpenTelemetry's no-op one while the SDK is disabled (the disabled SDK
     * of the extension would still make spans with new ids, which nothing exports: an event's reply would name a
     * parent no backend ever receives), else the extension's, only then asked for.
     */
    public static Tracer tracer(boolean sdkDisabled, Supplier<Tracer> extensions) {
        return sdkDisabled ? OpenTelemetry.noop().getTracer("io.meshfed") : extensions.get();
    }

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (configured(value) || !name.startsWith(QUARKUS_OTEL)) {
            return value;
        }
        if (SDK_DISABLED.equals(name)) {
            ConfigValue standard = context.proceed(name.substring(QUARKUS.length()));
            if (configured(standard)) {
                return standard.withName(name);
            }
            boolean endpoint = ENDPOINTS.stream().map(context::proceed).anyMatch(TracingSwitch::configured);
            return ConfigValue.builder().withName(SDK_DISABLED).withValue(String.valueOf(!endpoint))
                    .withConfigSourceName(TracingSwitch.class.getSimpleName()).build();
        }
        for (String fallback : FALLBACKS.getOrDefault(name, List.of(name.substring(QUARKUS.length())))) {
            ConfigValue standard = context.proceed(fallback);
            if (configured(standard)) {
                return standard.withName(name);
            }
        }
        return value;
    }

    /** A value someone set: not absent, not empty, and not one of Quarkus' defaults. */
    static boolean configured(ConfigValue value) {
        return value != null && value.getValue() != null && !value.getValue().isBlank()
                && !isDefault(value.getConfigSourceName());
    }

    private static boolean isDefault(String source) {
        return source == null || source.contains("DefaultValues") || source.contains("default values")
                || source.contains("Defaults");
    }
}
