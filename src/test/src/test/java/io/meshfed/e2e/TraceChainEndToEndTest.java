package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.OtlpReceiver;
import io.meshfed.testsupport.OtlpReceiver.ReceivedSpan;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One trace across the event flow, registration → export → {@code catalog.changed} → the xDS bridge's publish: the
 * three Quarkus apps run as built ({@code java -jar target/quarkus-app/quarkus-run.jar}), each configured only by
 * the standard {@code OTEL_EXPORTER_OTLP_ENDPOINT} (and protocol) variables, exporting real OTLP to
 * {@link OtlpReceiver}; the test is the Broker, passing each reply on as the next event with the CloudEvents SDK.
 * The first hop gets the operator's trace as a {@code traceparent} header (a tracing Broker); the second only the
 * reply's {@code ce-traceparent} (a Broker that does not trace); the third both. Every span is in the operator's
 * trace, each function's receive span a child of the previous function's work span. The management cluster is
 * fabric8's mock API server (the functions' Quarkus tests use it too; the stores are tested on a real
 * kube-apiserver).
 */
class TraceChainEndToEndTest {
    /** The repository root: the tests run in src/test. */
    static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
    static final Duration WAIT = Duration.ofSeconds(30);

    final List<Process> processes = new ArrayList<>();
    final ManagementClusterResource management = new ManagementClusterResource();

    @AfterEach
    void stop() {
        processes.forEach(Process::destroy);
        management.stop();
    }

    @Test
    void registrationExportAndTheBridgeAreOneTrace(@TempDir Path logs) throws Exception {
        try (OtlpReceiver otlp = new OtlpReceiver()) {
            Map<String, String> env = new HashMap<>();
            management.start().forEach((k, v) -> env.put(k.toUpperCase(Locale.ROOT).replaceAll("[.-]", "_"), v));
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint());
            env.put("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf");
            env.put("QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "100ms");
            URI registration = start("functions/registration", env, Map.of(), logs);
            URI export = start("functions/export", env, Map.of(), logs);
            // without the store watch, so that the event (not an informer) is what finds the change
            URI bridge = start("xds-bridge/app", env, Map.of("MESHFED_XDS_PORT", String.valueOf(freePort()),
                    "MESHFED_XDS_WATCH_STORES", "false", "MESHFED_XDS_ISTIOD_CONDITION", "false"), logs);

            String operatorTrace = "0af7651916cd43dd8448eb211c80319c";
            String operatorSpan = "b7ad6b7169203331";
            CloudEvent request = CloudEventBuilder.v1().withId("chain-" + UUID.randomUUID())
                    .withType(EventTypes.CLUSTER_REGISTRATION_REQUESTED).withSource(URI.create("test/operator"))
                    .withDataContentType("application/json").withData("""
                            {"name":"chain","network":"net-chain","locality":{"region":"us-west1"},
                             "eastWestGateway":{"address":"192.0.2.30","port":15443},
                             "trustDomain":"chain.meshfed.example","apiAccess":"none"}"""
                            .getBytes(StandardCharsets.UTF_8)).build();
            var registered = new CloudEventsClient(registration).send(request, Mode.BINARY,
                    Map.of("traceparent", "00-" + operatorTrace + "-" + operatorSpan + "-01"));
            assertEquals(200, registered.status(), registered.bodyText());
            assertEquals(EventTypes.CLUSTER_REGISTERED, registered.event().getType());

            var changed = new CloudEventsClient(export).send(registered.event(), Mode.BINARY);
            assertEquals(200, changed.status(), changed.bodyText());
            assertEquals(EventTypes.CATALOG_CHANGED, changed.event().getType());

            var pushed = new CloudEventsClient(bridge).send(changed.event(), Mode.BINARY,
                    Map.of("traceparent", changed.event().getExtension("traceparent").toString()));
            assertEquals(204, pushed.status(), pushed.bodyText());

            ReceivedSpan regReceive = otlp.awaitEvent(EventTypes.CLUSTER_REGISTRATION_REQUESTED, request.getId(), WAIT);
            ReceivedSpan regWork = otlp.await(s -> s.parentSpanId().equals(regReceive.spanId()), WAIT);
            ReceivedSpan expReceive = otlp.awaitEvent(EventTypes.CLUSTER_REGISTERED, registered.event().getId(), WAIT);
            ReceivedSpan expWork = otlp.await(s -> s.parentSpanId().equals(expReceive.spanId()), WAIT);
            ReceivedSpan bridgeReceive = otlp.awaitEvent(EventTypes.CATALOG_CHANGED, changed.event().getId(), WAIT);
            ReceivedSpan bridgeWork = otlp.await(s -> s.parentSpanId().equals(bridgeReceive.spanId()), WAIT);
            ReceivedSpan publish = otlp.await(s -> s.parentSpanId().equals(bridgeWork.spanId()), WAIT);

            for (ReceivedSpan s : List.of(regReceive, regWork, expReceive, expWork, bridgeReceive, bridgeWork,
                    publish)) {
                assertEquals(operatorTrace, s.traceId(), "one trace: " + s);
            }
            assertEquals(operatorSpan, regReceive.parentSpanId(), "continued from the operator's span");
            assertEquals(regWork.spanId(), expReceive.parentSpanId(), "export continues registration's reply");
            assertEquals(expWork.spanId(), bridgeReceive.parentSpanId(), "the bridge continues export's reply");
            assertEquals(List.of("meshfed-registration", "meshfed-registration", "meshfed-export", "meshfed-export",
                    "meshfed-xds-bridge", "meshfed-xds-bridge", "meshfed-xds-bridge"), List.of(regReceive.service(),
                    regWork.service(), expReceive.service(), expWork.service(), bridgeReceive.service(),
                    bridgeWork.service(), publish.service()));
            assertEquals("handle " + EventTypes.CATALOG_CHANGED, bridgeWork.name());
            assertEquals("true", bridgeWork.attribute("meshfed.changed"));
            assertEquals("xds publish", publish.name());
            assertTrue(otlp.spans().stream().allMatch(s -> s.traceId().equals(operatorTrace)),
                    "no span outside the trace: " + otlp.spans());
        }
    }

    /** Starts a Quarkus app as built and waits until it is ready; its base URI. */
    private URI start(String module, Map<String, String> env, Map<String, String> more, Path logs)
            throws IOException, InterruptedException {
        Path jar = REPO.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        assertTrue(Files.isRegularFile(jar), jar + " does not exist: package " + module + " first (mvn -B package)");
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = logs.resolve(module.replace('/', '-') + ".log");
        ProcessBuilder pb = new ProcessBuilder(java, "-jar", jar.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().putAll(more);
        pb.environment().put("QUARKUS_HTTP_PORT", String.valueOf(port));
        Process p = pb.start();
        processes.add(p);
        URI base = URI.create("http://127.0.0.1:" + port + "/");
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError(module + " exited " + p.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (http.send(HttpRequest.newBuilder(base.resolve("/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return base;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError(module + " not ready in 90 s:\n" + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
