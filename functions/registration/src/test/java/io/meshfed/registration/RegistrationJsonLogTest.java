package io.meshfed.registration;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.TestTls;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * JSON logs (an operator switches the console's on with {@code MESHFED_LOG_JSON=true}; the tests write them to a
 * file, with the same formatter, from the %test profile): every line written while an event is handled carries the event's id, type and
 * source in its {@code mdc}, both on the worker thread that runs the adapter (an accepted registration's line) and
 * on the event loop that answers a refusal. The lines are read from a JSON log file, which uses the same formatter
 * as the console.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
class RegistrationJsonLogTest {
    /** Written by every test of this module (the %test profile in application.properties). */
    static final Path LOG = Path.of("target", "json-log-test", "registration.log");

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

    @Test
    void everyLineOfAHandledEventCarriesItsCloudEventId() throws Exception {
        Instant start = Instant.now();
        String accepted = "json-" + UUID.randomUUID();
        String refused = "json-" + UUID.randomUUID();
        CloudEventsClient client = new CloudEventsClient(endpoint);
        var ok = client.send(RegistrationFunctionTest.event(accepted, EventTypes.CLUSTER_REGISTRATION_REQUESTED,
                Requests.valid("json-east", "10.0.0.7", "https://localhost:" + apiServer.httpsPort(), tls.caPem())),
                CloudEventsClient.Mode.STRUCTURED);
        assertEquals(200, ok.status(), ok.bodyText());
        var bad = client.send(CloudEventBuilder.v1().withId(refused).withType(EventTypes.CLUSTER_REGISTRATION_REQUESTED)
                .withSource(URI.create("test/json")).withDataContentType("application/json")
                .withData("{".getBytes(StandardCharsets.UTF_8)).build(), CloudEventsClient.Mode.BINARY);
        assertEquals(400, bad.status(), bad.bodyText());

        List<JsonNode> acceptedLines = awaitLines(accepted, "registered");
        JsonNode line = acceptedLines.get(0);
        assertEquals(EventTypes.CLUSTER_REGISTRATION_REQUESTED, line.at("/mdc/ce-type").asText(), line.toString());
        assertEquals("test/operator", line.at("/mdc/ce-source").asText(), line.toString());
        assertTrue(line.at("/message").asText().contains("json-east"), line.toString());
        JsonNode refusal = awaitLines(refused, "refused an event (400)").get(0);
        assertEquals("test/json", refusal.at("/mdc/ce-source").asText(), refusal.toString());
        List<JsonNode> meshfedLinesOfIt = readLines().stream()
                .filter(l -> !Instant.parse(l.at("/timestamp").asText()).isBefore(start)
                        && l.at("/loggerName").asText().startsWith("io.meshfed.")
                        && l.at("/message").asText().contains("json-east")).toList();
        assertTrue(!meshfedLinesOfIt.isEmpty() && meshfedLinesOfIt.stream()
                .allMatch(l -> accepted.equals(l.at("/mdc/ce-id").asText())), "no line of this event lacks its id: "
                + meshfedLinesOfIt);
    }

    /** The JSON lines whose mdc names {@code id} and whose message contains {@code text}, waited for. */
    private static List<JsonNode> awaitLines(String id, String text) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (true) {
            List<JsonNode> found = readLines().stream().filter(l -> id.equals(l.at("/mdc/ce-id").asText())
                    && l.at("/message").asText().contains(text)).toList();
            if (!found.isEmpty()) {
                return found;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no JSON log line of event " + id + " says '" + text + "': "
                        + (Files.exists(LOG) ? Files.readString(LOG) : "no log file"));
            }
            Thread.sleep(50);
        }
    }

    private static List<JsonNode> readLines() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        if (Files.exists(LOG)) {
            for (String l : Files.readAllLines(LOG)) {
                if (!l.isBlank()) {
                    lines.add(json.readTree(l)); // fails on any line that is not one JSON object
                }
            }
        }
        return lines;
    }
}
