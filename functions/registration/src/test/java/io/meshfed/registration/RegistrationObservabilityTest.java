package io.meshfed.registration;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.MetricsScrape;
import io.meshfed.testsupport.TestTls;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an operator scrapes and probes on the registration function (docs/observability.md): events sent with the
 * CloudEvents SDK move {@code meshfed_events_total} by outcome and {@code meshfed_event_seconds}, on
 * {@code GET /metrics}; {@code /q/health/live} and {@code /q/health/ready} answer UP.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
class RegistrationObservabilityTest {
    private static final String REQUESTED = EventTypes.CLUSTER_REGISTRATION_REQUESTED;
    static TestTls tls;
    static WireMockServer apiServer;

    @TestHTTPResource("/")
    URI endpoint;

    @BeforeAll
    static void startApiServer() throws Exception {
        tls = TestTls.create();
        apiServer = HttpsApiServerStandIn.answeringVersion(tls);
    }

    @AfterAll
    static void stopApiServer() {
        HttpsApiServerStandIn.stop(apiServer);
    }

    private static Map<String, String> events(String type, String outcome) {
        return Map.of("function", "registration", "type", type, "outcome", outcome);
    }

    @Test
    void acceptedRefusedAndUnknownEventsAreCountedByTypeAndOutcome() throws Exception {
        MetricsScrape before = MetricsScrape.of(endpoint);
        assertEquals("counter", before.type("meshfed_events"), before.toString());
        assertEquals("histogram", before.type("meshfed_event_seconds"));
        assertTrue(before.has("meshfed_events_total", events(REQUESTED, "error")),
                "every handled type's series exists before its first event: " + before);

        CloudEventsClient client = new CloudEventsClient(endpoint);
        var ok = client.send(RegistrationFunctionTest.event("obs-1", REQUESTED, Requests.valid("obs-east",
                "10.0.0.9", "https://localhost:" + apiServer.httpsPort(), tls.caPem())), CloudEventsClient.Mode.BINARY);
        assertEquals(200, ok.status(), ok.bodyText());
        var notJson = client.send(CloudEventBuilder.v1().withId("obs-2").withType(REQUESTED)
                .withSource(URI.create("test/operator")).withDataContentType("application/json")
                .withData("{not json".getBytes(StandardCharsets.UTF_8)).build(), CloudEventsClient.Mode.BINARY);
        assertEquals(400, notJson.status(), notJson.bodyText());
        // A structured envelope that is not JSON has no type anyone could read.
        var notAnEnvelope = client.sendRaw(Map.of("Content-Type", "application/cloudevents+json"),
                ("{\"type\":\"" + REQUESTED + "\",").getBytes(StandardCharsets.UTF_8));
        assertEquals(400, notAnEnvelope.status(), notAnEnvelope.bodyText());
        var unknown = client.send(CloudEventBuilder.v1().withId("obs-3").withType("com.example.not.meshfed")
                .withSource(URI.create("test/operator")).build(), CloudEventsClient.Mode.BINARY);
        assertEquals(404, unknown.status(), unknown.bodyText());

        MetricsScrape after = MetricsScrape.of(endpoint);
        assertEquals(1, delta(before, after, "meshfed_events_total", events(REQUESTED, "ok")), after.toString());
        assertEquals(1, delta(before, after, "meshfed_events_total", events(REQUESTED, "refused")), after.toString());
        assertEquals(0, delta(before, after, "meshfed_events_total", events(REQUESTED, "error")), after.toString());
        assertEquals(2, delta(before, after, "meshfed_events_total", events("other", "refused")),
                "a type no function here handles, and an unreadable envelope, are counted under 'other'");
        assertTrue(after.samples().stream().noneMatch(s -> s.labels().containsValue("com.example.not.meshfed")),
                "no label holds what a caller made up");
        Map<String, String> timed = Map.of("function", "registration", "type", REQUESTED);
        assertEquals(2, delta(before, after, "meshfed_event_seconds_count", timed), after.toString());
        assertTrue(delta(before, after, "meshfed_event_seconds_sum", timed) > 0);
        Map<String, String> slowest = new java.util.HashMap<>(timed);
        slowest.put("le", "+Inf");
        assertEquals(2, delta(before, after, "meshfed_event_seconds_bucket", slowest));
    }

    @Test
    void healthIsServedAtTheKubernetesProbePaths() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : new String[] {"/q/health/live", "/q/health/ready"}) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(endpoint.resolve(path)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertTrue(r.body().contains("\"status\": \"UP\"") || r.body().contains("\"status\":\"UP\""), r.body());
        }
    }

    static double delta(MetricsScrape before, MetricsScrape after, String name, Map<String, String> labels) {
        return after.value(name, labels) - before.value(name, labels);
    }
}
