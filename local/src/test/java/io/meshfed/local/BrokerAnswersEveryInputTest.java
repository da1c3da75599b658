package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.meshfed.model.EventAnswer;
import io.meshfed.model.EventFailure;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.xds.app.BridgeAdapter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every input to the local broker's HTTP port gets an HTTP answer with the status and body docs/events.md promises
 * ("HTTP answers that are not events"), sent with the CloudEvents SDK as the client, and a refused input writes
 * nothing: the state directory is byte-for-byte the same after each refusal.
 */
class BrokerAnswersEveryInputTest {
    @TempDir
    static Path state;
    static LocalMesh mesh;
    static final List<String> progress = Collections.synchronizedList(new ArrayList<>());
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        List<ExampleCluster> east = ExampleCluster.loadAll(Path.of("../examples/two-clusters")).stream()
                .filter(e -> e.cluster().name().equals("east")).toList();
        mesh = LocalMesh.start(new LocalMesh.Settings(state, LocalModeFilesTest.TRIGGERS, "127.0.0.1", 0, 0, east,
                null), progress::add);
        assertEquals(Map.of("east", EventTypes.CLUSTER_REGISTERED), mesh.registerExamples());
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    record Answer(int status, String contentType, byte[] body) {
        JsonNode json() throws IOException {
            assertTrue(contentType != null && contentType.startsWith("application/json"), "content type " + contentType);
            return ModelJson.mapper().readTree(body);
        }
    }

    private static CloudEvent event(String type, String subject, String json) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId("req-1").withSource(URI.create("test/answers")).withType(type);
        if (subject != null) {
            b.withSubject(subject);
        }
        if (json != null) {
            b.withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    private static Answer binary(CloudEvent event) throws Exception {
        return send(event, false, UnaryOperator.identity());
    }

    private static Answer structured(CloudEvent event) throws Exception {
        return send(event, true, UnaryOperator.identity());
    }

    /** Writes the event with the SDK; {@code body} may then damage the bytes on the wire. */
    private static Answer send(CloudEvent event, boolean structured, UnaryOperator<byte[]> body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(mesh.brokerUrl()).timeout(Duration.ofSeconds(30));
        byte[][] bytes = new byte[1][];
        if (structured) {
            EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
            HttpMessageFactory.createWriter(request::header, b -> bytes[0] = b).writeStructured(event, format);
        } else {
            HttpMessageFactory.createWriter(request::header, b -> bytes[0] = b).writeBinary(event);
        }
        byte[] wire = body.apply(bytes[0] == null ? new byte[0] : bytes[0]);
        HttpResponse<byte[]> response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(wire)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), response.headers().firstValue("content-type").orElse(null),
                response.body());
    }

    /** Every file under the state directory with its content (credentials, catalogs, PKI, audit). */
    private static Map<String, String> stateFiles() throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(state)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                files.put(state.relativize(p).toString(), Arrays.toString(Files.readAllBytes(p)));
            }
        }
        return files;
    }

    private static void assertRefused(int status, String field, Answer answer) throws IOException {
        assertEquals(status, answer.status(), new String(answer.body(), StandardCharsets.UTF_8));
        JsonNode body = answer.json();
        assertEquals(field, body.path("field").asText(null), body.toString());
        assertTrue(body.path("message").isTextual() && !body.path("message").asText().isBlank(), body.toString());
    }

    @Test
    void anExportSyncForAnUnregisteredClusterIs422() throws Exception {
        Map<String, String> before = stateFiles();
        assertRefused(422, "subject", binary(event(EventTypes.SERVICE_EXPORT_SYNC, "nowhere", null)));
        assertRefused(422, "subject", structured(event(EventTypes.SERVICE_EXPORT_SYNC, "nowhere", null)));
        assertEquals(before, stateFiles());
    }

    @Test
    void aStructuredEventThatIsNotJsonIs400() throws Exception {
        Map<String, String> before = stateFiles();
        CloudEvent deregister = event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east", "{\"name\":\"east\"}");
        Answer truncated = send(deregister, true, b -> Arrays.copyOf(b, b.length / 2));
        assertRefused(400, "event", truncated);
        assertEquals(before, stateFiles());
    }

    @Test
    void dataThatIsNotJsonIs400() throws Exception {
        Map<String, String> before = stateFiles();
        assertRefused(400, "data", binary(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east", "{\"name\":")));
        assertRefused(400, "data", binary(event(EventTypes.CLUSTER_REGISTRATION_REQUESTED, null, "{\"name\":")));
        assertEquals(before, stateFiles());
    }

    @Test
    void aBodyAbove256KiBIs413() throws Exception {
        Map<String, String> before = stateFiles();
        String padding = "x".repeat(5 * 1024 * 1024);
        String json = "{\"name\":\"east\",\"padding\":\"" + padding + "\"}";
        assertRefused(413, "body", binary(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east", json)));
        assertRefused(413, "body", structured(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east", json)));
        String justOver = "{\"name\":\"east\",\"padding\":\"" + "x".repeat(256 * 1024) + "\"}";
        assertRefused(413, "body", binary(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east", justOver)));
        assertEquals(before, stateFiles());
    }

    @Test
    void aDeregistrationWithAnUnknownFieldIs400AndRemovesNothing() throws Exception {
        Map<String, String> before = stateFiles();
        assertRefused(400, "data.force", binary(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east",
                "{\"name\":\"east\",\"force\":true}")));
        assertRefused(400, "data.force", structured(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east",
                "{\"name\":\"east\",\"force\":true}")));
        assertEquals(before, stateFiles());
    }

    @Test
    void aNameThatIsNotAStringIs400() throws Exception {
        Map<String, String> before = stateFiles();
        assertRefused(400, "data.name", binary(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, null,
                "{\"name\":123}")));
        assertRefused(400, "data.name", binary(event(EventTypes.CLUSTER_REGISTRATION_REQUESTED, null,
                "{\"name\":123}")));
        assertRefused(400, "data.cluster", binary(event(EventTypes.SERVICE_EXPORT_SYNC, null, "{\"cluster\":123}")));
        assertEquals(before, stateFiles());
    }

    @Test
    void aRegistrationWithAnUnknownFieldIs400() throws Exception {
        Map<String, String> before = stateFiles();
        assertRefused(400, "data.locality.rack", binary(event(EventTypes.CLUSTER_REGISTRATION_REQUESTED, null,
                "{\"name\":\"north\",\"locality\":{\"region\":\"r\",\"rack\":\"7\"}}")));
        assertEquals(before, stateFiles());
    }

    @Test
    void aSubjectThatDisagreesIs400WithTheDocumentedBody() throws Exception {
        Map<String, String> before = stateFiles();
        assertRefused(400, "subject", binary(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "west",
                "{\"name\":\"east\"}")));
        assertEquals(before, stateFiles());
    }

    @Test
    void notACloudEventIs400() throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(mesh.brokerUrl())
                .header("content-type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("hello")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertRefused(400, "event", new Answer(response.statusCode(),
                response.headers().firstValue("content-type").orElse(null), response.body()));
    }

    /**
     * The xDS bridge's events are refused by the deployed bridge's own adapter ({@code BridgeAdapter}), so the
     * answer is byte for byte the one the bridge app gives (its BridgeAppTest sends the same cases): an event naming
     * no cluster (a number is not a name), a name that cannot be a cluster, a subject and data that disagree.
     */
    @Test
    void theBridgesEventsAreRefusedByTheDeployedAdapter() throws Exception {
        Map<String, String> before = stateFiles();
        assertEquals("{\"field\":\"subject\",\"message\":\"names no cluster (set the subject, or data.cluster)\","
                + "\"error\":\"bad-event\"}", new String(binary(event(EventTypes.CATALOG_CHANGED, null,
                "{\"name\":123}")).body(), StandardCharsets.UTF_8));
        for (CloudEvent e : List.of(event(EventTypes.CATALOG_CHANGED, null, "{\"name\":123}"),
                event(EventTypes.CATALOG_CHANGED, null, "{}"),
                event(EventTypes.CATALOG_CHANGED, "Bad_Name", "{}"),
                event(EventTypes.CATALOG_CHANGED, "east", "{\"cluster\":\"west\"}"))) {
            String expected = EventAnswer.of(org.junit.jupiter.api.Assertions.assertThrows(EventFailure.class,
                    () -> new BridgeAdapter(null).handle(e))).body();
            for (Answer answer : List.of(binary(e), structured(e))) {
                assertEquals(400, answer.status());
                assertEquals(expected, new String(answer.body(), StandardCharsets.UTF_8), "subject " + e.getSubject());
            }
        }
        assertEquals(202, binary(event(EventTypes.CATALOG_CHANGED, "east", "{\"cluster\":\"east\"}")).status());
        assertEquals(before, stateFiles());
    }

    @Test
    void theGoodCasesStillWork() throws Exception {
        assertEquals(202, binary(event(EventTypes.SERVICE_EXPORT_SYNC, "east", null)).status());
        assertEquals(202, structured(event(EventTypes.SERVICE_EXPORT_SYNC, null, "{\"cluster\":\"east\"}")).status());
        Answer gone = binary(event(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, null, "{\"name\":\"nowhere\"}"));
        assertEquals(200, gone.status());
    }
}
