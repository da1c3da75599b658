package io.meshfed.workloadevents;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.testsupport.OtlpReceiver.ReceivedSpan;
import io.meshfed.testsupport.OtlpReceiverResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The workload-events entry's span, with an OTLP endpoint configured (real OTLP to the test's receiver): a post
 * is a {@code workload event} span in the trace of its {@code ce-traceparent} when it has no {@code traceparent}
 * header, ended with the answer's status, here the refusal of a post without a token. (An admitted post's sync
 * carries the span on: {@code BrokerSenderTest}, and end to end {@code WorkloadEventsRealApiServerTest}'s path.)
 */
@QuarkusTest
@QuarkusTestResource(value = OtlpReceiverResource.class, restrictToAnnotatedClass = true)
class WorkloadEventsTracingTest {
    @TestHTTPResource("/")
    URI root;

    @Test
    void aRefusedPostIsASpanOfTheEventsTrace() throws Exception {
        String traceId = "0af7651916cd43dd8448eb211c80319c";
        String id = "we-" + UUID.randomUUID();
        var answer = new CloudEventsClient(root).send(CloudEventBuilder.v1().withId(id)
                .withType(EventTypes.APISERVER_RESOURCE_UPDATE).withSource(URI.create("https://10.0.0.1:6443"))
                .withExtension("meshfedcluster", "east")
                .withExtension("traceparent", "00-" + traceId + "-b7ad6b7169203331-01").build(), Mode.BINARY);
        assertEquals(401, answer.status(), answer.bodyText());
        ReceivedSpan span = OtlpReceiverResource.receiver().await(s -> s.name().equals("workload event")
                && id.equals(s.attribute("cloudevents.event_id")), Duration.ofSeconds(20));
        assertEquals(traceId, span.traceId());
        assertEquals("b7ad6b7169203331", span.parentSpanId());
        assertEquals("401", span.attribute("http.response.status_code"));
        assertEquals("meshfed-workload-events", span.service());
    }
}
