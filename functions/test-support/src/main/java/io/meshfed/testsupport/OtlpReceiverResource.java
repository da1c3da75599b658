package io.meshfed.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * An {@link OtlpReceiver} for a Quarkus test, configured as an operator would: the app's traces endpoint set to it
 * (which is what switches tracing on, {@code io.meshfed.tracing.TracingSwitch}), OTLP/HTTP protobuf, and a short
 * batch delay so the test waits less. Use it with {@code restrictToAnnotatedClass = true}, so the module's other
 * tests run as shipped, with no endpoint. {@link #receiver()} is the running receiver.
 */
public class OtlpReceiverResource implements QuarkusTestResourceLifecycleManager {
    private static volatile OtlpReceiver receiver;

    @Override
    public Map<String, String> start() {
        try {
            receiver = new OtlpReceiver();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("quarkus.otel.exporter.otlp.traces.endpoint", receiver.endpoint(),
                "quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf",
                "quarkus.otel.bsp.schedule.delay", "100ms");
    }

    @Override
    public void stop() {
        if (receiver != null) {
            receiver.close();
        }
    }

    public static OtlpReceiver receiver() {
        return receiver;
    }
}
