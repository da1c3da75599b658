package io.meshfed.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.EventTypes;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.testsupport.ManagementClusterResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tracing as shipped, with no OTLP endpoint configured: the SDK is off, so nothing is recorded or exported and no
 * connection is attempted, not even to the OTLP ports' default addresses (listened on here: 4317, gRPC, Quarkus'
 * default endpoint, and 4318, HTTP), with the batch delay short enough that an exporter would have tried; and an
 * event still passes on the trace context it arrived with, so the next hop continues the caller's trace.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
@QuarkusTestResource(value = RegistrationTracingOffTest.ShortBatchDelay.class, restrictToAnnotatedClass = true)
class RegistrationTracingOffTest {
    /** Not an endpoint: only makes an exporter, were there one, export within 100 ms. */
    public static class ShortBatchDelay implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            return Map.of("quarkus.otel.bsp.schedule.delay", "100ms");
        }

        @Override
        public void stop() {
        }
    }

    static final List<ServerSocket> OTLP_PORTS = new ArrayList<>();
    static final AtomicInteger CONNECTIONS = new AtomicInteger();

    @TestHTTPResource("/")
    URI endpoint;
    @jakarta.inject.Inject
    io.opentelemetry.api.OpenTelemetry extension;

    @BeforeAll
    static void listenOnTheDefaultOtlpPorts() throws IOException {
        for (int port : new int[] {4317, 4318}) {
            ServerSocket socket = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
            socket.setSoTimeout(100);
            OTLP_PORTS.add(socket);
            Thread accept = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (var connection = socket.accept()) {
                        CONNECTIONS.incrementAndGet();
                    } catch (SocketTimeoutException e) {
                        // poll until closed
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "otlp-port-" + port);
            accept.setDaemon(true);
            accept.start();
        }
    }

    @AfterAll
    static void close() throws IOException {
        for (ServerSocket s : OTLP_PORTS) {
            s.close();
        }
    }

    @Test
    void nothingIsExportedAndTheTraceContextPassesThrough() throws Exception {
        assertTrue(ConfigProvider.getConfig().getValue("quarkus.otel.sdk.disabled", Boolean.class),
                "no endpoint configured: the SDK is off");
        // a span of the extension's own SDK (which meshfed's code does not use while it is off): were there an
        // exporter, it would try to send this one
        extension.getTracer("test").spanBuilder("probe").startSpan().end();
        String traceparent = RegistrationTracingTest.randomTraceparent();
        CloudEventsClient client = new CloudEventsClient(endpoint);
        for (Mode mode : Mode.values()) {
            var answer = client.send(RegistrationTracingTest.deregistration("off-" + UUID.randomUUID(), traceparent),
                    mode);
            assertEquals(200, answer.status(), answer.bodyText());
            assertEquals(EventTypes.CLUSTER_DEREGISTERED, answer.event().getType());
            assertEquals(traceparent, answer.event().getExtension("traceparent"),
                    "the reply continues the caller's trace although this function records none");
        }
        var untraced = client.send(RegistrationTracingTest.deregistration("off-" + UUID.randomUUID(), null),
                Mode.BINARY);
        assertEquals(200, untraced.status(), untraced.bodyText());
        assertEquals(null, untraced.event().getExtension("traceparent"), "no trace in, none made up");
        Thread.sleep(1500); // 15 batch delays
        assertEquals(0, CONNECTIONS.get(), "no connection to an OTLP port: " + extension);
    }
}
