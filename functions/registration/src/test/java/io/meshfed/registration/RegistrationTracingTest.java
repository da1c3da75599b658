package io.meshfed.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.OtlpReceiver;
import io.meshfed.testsupport.OtlpReceiver.ReceivedSpan;
import io.meshfed.testsupport.OtlpReceiverResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * Traces of the registration function with an OTLP endpoint configured: the OpenTelemetry SDK's OTLP/HTTP exporter
 * sends real OTLP to {@link OtlpReceiver}, events are sent with the CloudEvents SDK. Each event is a receive span
 * (named after its type) in the trace it arrived in, with a work span ({@code handle <type>}) under it, and the
 * reply carries the work span as its {@code traceparent}: the header first, else the event's extension; a malformed
 * one starts a new trace and the event is handled all the same.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
@QuarkusTestResource(value = OtlpReceiverResource.class, restrictToAnnotatedClass = true)
class RegistrationTracingTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String DEREGISTRATION = EventTypes.CLUSTER_DEREGISTRATION_REQUESTED;

    @TestHTTPResource("/")
    URI endpoint;

    static String randomTraceparent() {
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        ThreadLocalRandom.current().nextBytes(trace);
        ThreadLocalRandom.current().nextBytes(span);
        return "00-" + HexFormat.of().formatHex(trace) + "-" + HexFormat.of().formatHex(span) + "-01";
    }

    static String traceId(String traceparent) {
        return traceparent.split("-")[1];
    }

    static String spanId(String traceparent) {
        return traceparent.split("-")[2];
    }

    static CloudEvent deregistration(String id, String traceparent) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId(id).withType(DEREGISTRATION)
                .withSource(URI.create("test/tracing")).withDataContentType("application/json")
                .withData("{\"name\":\"traced\"}".getBytes(StandardCharsets.UTF_8));
        if (traceparent != null) {
            b.withExtension("traceparent", traceparent);
        }
        return b.build();
    }

    /** The receive span of {@code id}, its work span, and that the reply carries the work span. */
    static ReceivedSpan[] spansOf(String id, CloudEventsClient.Answer answer) throws Exception {
        OtlpReceiver otlp = OtlpReceiverResource.receiver();
        ReceivedSpan receive = otlp.awaitEvent(DEREGISTRATION, id, WAIT);
        assertEquals("CONSUMER", receive.kind().replace("SPAN_KIND_", ""));
        assertEquals("meshfed-registration", receive.service());
        assertEquals("200", receive.attribute("http.response.status_code"));
        ReceivedSpan work = otlp.await(s -> s.name().equals("handle " + DEREGISTRATION)
                && s.parentSpanId().equals(receive.spanId()), WAIT);
        assertEquals(receive.traceId(), work.traceId());
        assertEquals(EventTypes.CLUSTER_DEREGISTERED, work.attribute("meshfed.reply.type"));
        assertEquals(work.traceparent(), answer.event().getExtension("traceparent"),
                "the reply continues the trace from the work span");
        return new ReceivedSpan[] {receive, work};
    }

    @Test
    void theHeaderIsContinuedBeforeTheExtension() throws Exception {
        String header = randomTraceparent();
        String extension = randomTraceparent();
        String id = "trace-" + UUID.randomUUID();
        var answer = new CloudEventsClient(endpoint).send(deregistration(id, extension), Mode.BINARY,
                Map.of("traceparent", header, "tracestate", "knative=1"));
        assertEquals(200, answer.status(), answer.bodyText());
        ReceivedSpan receive = spansOf(id, answer)[0];
        assertEquals(traceId(header), receive.traceId());
        assertEquals(spanId(header), receive.parentSpanId());
        assertEquals("knative=1", answer.event().getExtension("tracestate"), "tracestate travels with the trace");
    }

    @Test
    void withoutAHeaderTheEventsExtensionIsContinuedInEitherMode() throws Exception {
        for (Mode mode : Mode.values()) {
            String extension = randomTraceparent();
            String id = "trace-" + mode + "-" + UUID.randomUUID();
            var answer = new CloudEventsClient(endpoint).send(deregistration(id, extension), mode);
            assertEquals(200, answer.status(), answer.bodyText());
            ReceivedSpan receive = spansOf(id, answer)[0];
            assertEquals(traceId(extension), receive.traceId(), mode.toString());
            assertEquals(spanId(extension), receive.parentSpanId(), mode.toString());
        }
    }

    @Test
    void aMalformedTraceparentStartsANewTraceAndTheEventIsStillHandled() throws Exception {
        String id = "trace-bad-" + UUID.randomUUID();
        String malformed = "00-not-a-trace-01";
        var answer = new CloudEventsClient(endpoint).send(deregistration(id, malformed), Mode.BINARY,
                Map.of("traceparent", "00-00000000000000000000000000000000-0000000000000000-01"));
        assertEquals(200, answer.status(), answer.bodyText());
        assertEquals(EventTypes.CLUSTER_DEREGISTERED, answer.event().getType());
        ReceivedSpan receive = spansOf(id, answer)[0];
        assertTrue(receive.root(), "a new trace: " + receive);
        assertNotEquals("00000000000000000000000000000000", receive.traceId());
    }

    @Test
    void anEventRefusedBeforeItsAdapterRanIsASpanOfItsTrace() throws Exception {
        String header = randomTraceparent();
        String id = "trace-refused-" + UUID.randomUUID();
        CloudEvent notJson = CloudEventBuilder.v1().withId(id).withType(DEREGISTRATION)
                .withSource(URI.create("test/tracing")).withDataContentType("application/json")
                .withData("{".getBytes(StandardCharsets.UTF_8)).build();
        var answer = new CloudEventsClient(endpoint).send(notJson, Mode.BINARY, Map.of("traceparent", header));
        assertEquals(400, answer.status(), answer.bodyText());
        ReceivedSpan receive = OtlpReceiverResource.receiver().awaitEvent(DEREGISTRATION, id, WAIT);
        assertEquals(traceId(header), receive.traceId());
        assertEquals(spanId(header), receive.parentSpanId());
        assertEquals("400", receive.attribute("http.response.status_code"));
        assertNotNull(receive.attribute("cloudevents.event_source"));
    }
}
