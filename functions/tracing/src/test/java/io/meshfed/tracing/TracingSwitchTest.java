package io.meshfed.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code quarkus.otel.sdk.disabled} as the switch decides it, from the sources a deployment sets: the standard
 * environment variables, Quarkus' names, an explicit setting; Quarkus' default endpoint alone leaves it off.
 */
class TracingSwitchTest {
    static boolean disabled(Map<String, String> env, Map<String, String> properties) {
        return config(env, properties).getValue("quarkus.otel.sdk.disabled", Boolean.class);
    }

    static SmallRyeConfig config(Map<String, String> env, Map<String, String> properties) {
        return new SmallRyeConfigBuilder().withInterceptors(new TracingSwitch())
                .withDefaultValue("quarkus.otel.exporter.otlp.endpoint", "http://localhost:4317/")
                .withDefaultValue("quarkus.otel.exporter.otlp.traces.endpoint", "http://localhost:4317/")
                .withDefaultValue("quarkus.otel.sdk.disabled", "false")
                .withSources(new EnvConfigSource(env, 300), new PropertiesConfigSource(properties, "application", 250))
                .build();
    }

    @Test
    void offWithoutAnEndpointWhateverQuarkusDefaultsTo() {
        assertEquals(true, disabled(Map.of(), Map.of()));
        assertEquals(true, disabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", ""), Map.of()), "empty is none");
    }

    @Test
    void onWithTheStandardVariablesOrQuarkusNames() {
        assertEquals(false, disabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), Map.of()));
        assertEquals(false, disabled(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318"),
                Map.of()));
        assertEquals(false, disabled(Map.of("QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
                Map.of()));
        assertEquals(false, disabled(Map.of(), Map.of("quarkus.otel.exporter.otlp.traces.endpoint",
                "http://localhost:4317")), "a local collector at the default address, configured explicitly");
    }

    @Test
    void theStandardVariablesConfigureTheExtension() {
        SmallRyeConfig config = config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
                Map.of());
        assertEquals("http://collector:4318", config.getRawValue("quarkus.otel.exporter.otlp.traces.endpoint"));
        assertEquals("http://collector:4318", config.getRawValue("quarkus.otel.exporter.otlp.endpoint"));
        assertEquals("http/protobuf", config.getRawValue("quarkus.otel.exporter.otlp.traces.protocol"));
        assertEquals("parentbased_traceidratio", config.getRawValue("quarkus.otel.traces.sampler"));
        SmallRyeConfig both = config(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"), Map.of(
                "quarkus.otel.exporter.otlp.traces.protocol", "grpc"));
        assertEquals("http://traces:4317", both.getRawValue("quarkus.otel.exporter.otlp.traces.endpoint"),
                "the traces endpoint before the common one");
        assertEquals("grpc", both.getRawValue("quarkus.otel.exporter.otlp.traces.protocol"));
        assertEquals("http://localhost:4317/", config(Map.of(), Map.of())
                .getRawValue("quarkus.otel.exporter.otlp.traces.endpoint"), "Quarkus' default when nothing is set");
    }

    @Test
    void anExplicitSettingWins() {
        assertEquals(true, disabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317",
                "QUARKUS_OTEL_SDK_DISABLED", "true"), Map.of()));
        assertEquals(false, disabled(Map.of(), Map.of("quarkus.otel.sdk.disabled", "false")));
        assertEquals(true, disabled(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317",
                "OTEL_SDK_DISABLED", "true"), Map.of()), "OpenTelemetry's own switch");
    }
}
