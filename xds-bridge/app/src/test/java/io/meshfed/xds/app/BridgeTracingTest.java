package io.meshfed.xds.app;

import static io.meshfed.xds.app.ManagementCluster.WEST;
import static io.meshfed.xds.app.ManagementCluster.WEST_A;
import static io.meshfed.xds.app.ManagementCluster.catalog;
import static io.meshfed.xds.app.ManagementCluster.service;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.testsupport.OtlpReceiver;
import io.meshfed.testsupport.OtlpReceiver.ReceivedSpan;
import io.meshfed.testsupport.OtlpReceiverResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The bridge's part of a trace, with an OTLP endpoint configured (real OTLP from the SDK's exporter to
 * {@link OtlpReceiver}): a {@code catalog.changed} delivered without a {@code traceparent} header (a Broker that does
 * not trace) continues the trace of its {@code ce-traceparent}, and the re-read and publish to the ADS streams it
 * causes is that trace's {@code xds publish} span, under the event's work span. Without the store watch, so that the
 * event, not an informer, is what finds the change.
 */
@QuarkusTest
@QuarkusTestResource(value = ManagementClusterResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = BridgeTracingTest.Otlp.class, restrictToAnnotatedClass = true)
class BridgeTracingTest {
    public static class Otlp extends OtlpReceiverResource {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            config.put("meshfed.xds.watch-stores", "false");
            return config;
        }
    }

    static final Duration WAIT = Duration.ofSeconds(20);

    @TestHTTPResource("/")
    URI root;

    @Test
    void aCatalogChangeAndItsPublishAreSpansOfTheEventsTrace() throws Exception {
        ManagementClusterResource.mgmt.catalogs.put(catalog(WEST, 2, service("demo", "echo", "10.2.0.1", WEST_A),
                service("shop", "cart", "10.2.0.2", WEST_A)), 1);
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String parent = "00f067aa0ba902b7";
        String id = "bridge-" + UUID.randomUUID();
        var answer = new CloudEventsClient(root).send(CloudEventBuilder.v1().withId(id)
                .withType(EventTypes.CATALOG_CHANGED).withSource(URI.create("meshfed/export")).withSubject("west")
                .withExtension("traceparent", "00-" + traceId + "-" + parent + "-01")
                .withDataContentType("application/json")
                .withData("{\"cluster\":\"west\",\"version\":2,\"removed\":false}".getBytes(StandardCharsets.UTF_8))
                .build(), Mode.BINARY);
        assertEquals(204, answer.status(), answer.bodyText());

        OtlpReceiver otlp = OtlpReceiverResource.receiver();
        ReceivedSpan receive = otlp.awaitEvent(EventTypes.CATALOG_CHANGED, id, WAIT);
        assertEquals(traceId, receive.traceId());
        assertEquals(parent, receive.parentSpanId());
        assertEquals("meshfed-xds-bridge", receive.service());
        assertEquals("west", receive.attribute("cloudevents.event_subject"));
        assertEquals("204", receive.attribute("http.response.status_code"));
        ReceivedSpan work = otlp.await(s -> s.parentSpanId().equals(receive.spanId()), WAIT);
        assertEquals("handle " + EventTypes.CATALOG_CHANGED, work.name());
        assertEquals("true", work.attribute("meshfed.changed"), "this event found west's new catalog");
        ReceivedSpan publish = otlp.await(s -> s.parentSpanId().equals(work.spanId()), WAIT);
        assertEquals("xds publish", publish.name());
        assertEquals(traceId, publish.traceId());
        assertEquals("2", publish.attribute("meshfed.clusters"), "east and west are served");
    }
}
