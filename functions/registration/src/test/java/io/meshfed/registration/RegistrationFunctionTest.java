package io.meshfed.registration;

import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.TestTls;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.store.KubernetesClusterStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registration function over HTTP, driven by the CloudEvents Java SDK in both encodings, with the
 * management cluster on fabric8's CRUD mock server and the workload cluster's API server impersonated by
 * WireMock over HTTPS.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
class RegistrationFunctionTest {
    static TestTls tls;
    static WireMockServer apiServer;

    @TestHTTPResource("/")
    URI endpoint;

    @BeforeAll
    static void startApiServer() throws Exception {
        tls = TestTls.create();
        apiServer = HttpsApiServerStandIn.start(tls);
    }

    @AfterAll
    static void stopApiServer() {
        HttpsApiServerStandIn.stop(apiServer);
    }

    @BeforeEach
    void clean() {
        apiServer.resetAll();
        apiServer.stubFor(get(urlEqualTo("/version")).willReturn(okJson("{\"gitVersion\":\"v1.31.2\"}")));
        ManagementClusterResource.client().genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                .inNamespace("meshfed").delete();
        ManagementClusterResource.client().secrets().inNamespace("meshfed").delete();
    }

    CloudEventsClient events() {
        return new CloudEventsClient(endpoint);
    }

    static CloudEventsClient.Mode mode(boolean structured) {
        return structured ? CloudEventsClient.Mode.STRUCTURED : CloudEventsClient.Mode.BINARY;
    }

    String apiUrl() {
        return "https://localhost:" + apiServer.httpsPort();
    }

    static CloudEvent event(String id, String type, Object data) throws Exception {
        return CloudEventBuilder.v1().withId(id).withType(type).withSource(URI.create("test/operator"))
                .withDataContentType("application/json")
                .withData(ModelJson.mapper().writeValueAsBytes(data)).build();
    }

    static JsonNode data(CloudEvent e) throws Exception {
        return ModelJson.mapper().readTree(e.getData().toBytes());
    }

    List<String> storedClusters() {
        return ManagementClusterResource.client().genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                .inNamespace("meshfed").list().getItems().stream().map(r -> r.getMetadata().getName()).sorted().toList();
    }

    int storedSecrets() {
        return ManagementClusterResource.client().secrets().inNamespace("meshfed").list().getItems().size();
    }

    @Test
    void registersInBinaryModeAndRepeatsTheSameReply() throws Exception {
        CloudEvent request = event("req-1", EventTypes.CLUSTER_REGISTRATION_REQUESTED,
                Requests.valid("east", "10.0.0.1", apiUrl(), tls.caPem()));
        var first = events().send(request, mode(false));
        assertEquals(200, first.status(), first.bodyText());
        assertEquals(EventTypes.CLUSTER_REGISTERED, first.event().getType());
        assertEquals("meshfed/registration", first.event().getSource().toString());
        assertEquals("east", first.event().getSubject());
        assertEquals("created", first.event().getExtension("meshfedchange"));
        JsonNode data = data(first.event());
        assertEquals("east", data.at("/cluster/name").asText());
        assertEquals("10.0.0.1", data.at("/cluster/eastWestGateway/address").asText());
        assertEquals("us-east1-b", data.at("/cluster/locality/zone").asText());
        assertTrue(data.at("/cluster/apiServer/credentialsSecret").asText().startsWith("meshfed-cluster-east-"));
        assertTrue(data.toString().indexOf("good-token") < 0, "credentials never leave the store");
        assertEquals(List.of("east"), storedClusters());
        assertEquals(1, storedSecrets());

        var again = events().send(request, mode(false));
        assertEquals(first.event().getId(), again.event().getId());
        assertEquals(first.event().getType(), again.event().getType());
        assertEquals(data, data(again.event()));
        assertEquals("unchanged", again.event().getExtension("meshfedchange"));
        assertEquals(1, apiServer.getAllServeEvents().size(), "a repeated registration is not probed again");
    }

    @Test
    void registersInStructuredModeAndUpdatesOnChange() throws Exception {
        var created = events().send(event("req-2", EventTypes.CLUSTER_REGISTRATION_REQUESTED,
                Requests.valid("west", "10.0.0.2", apiUrl(), tls.caPem())), mode(true));
        assertEquals(EventTypes.CLUSTER_REGISTERED, created.event().getType());
        var updated = events().send(event("req-3", EventTypes.CLUSTER_REGISTRATION_REQUESTED,
                Requests.valid("west", "10.0.0.3", apiUrl(), tls.caPem())), mode(true));
        assertEquals(200, updated.status(), updated.bodyText());
        assertEquals("updated", updated.event().getExtension("meshfedchange"));
        assertEquals("west", updated.event().getSubject());
        assertTrue(data(updated.event()).at("/generation").asLong() > data(created.event()).at("/generation").asLong());
        assertEquals(List.of("west"), storedClusters());
    }

    @Test
    void rejectionListsEveryReasonAndWritesNothing() throws Exception {
        Map<String, Object> bad = Map.of("name", "Bad_Name", "network", "net", "trustDomain", "td.org",
                "locality", Map.of("region", "us east"), "eastWestGateway", Map.of("address", "gw..x", "port", 0),
                "apiAccess", "none");
        var reply = events().send(event("req-4", EventTypes.CLUSTER_REGISTRATION_REQUESTED, bad), mode(false));
        assertEquals(200, reply.status());
        assertEquals(EventTypes.CLUSTER_REGISTRATION_REJECTED, reply.event().getType());
        assertEquals("Bad_Name", reply.event().getSubject());
        JsonNode reasons = data(reply.event()).get("reasons");
        assertEquals(List.of("name", "locality.region", "eastWestGateway.address", "eastWestGateway.port"),
                java.util.stream.StreamSupport.stream(reasons.spliterator(), false).map(r -> r.get("field").asText()).toList());
        assertEquals("INVALID_FIELD", reasons.get(0).get("code").asText());
        assertEquals(List.of(), storedClusters());
        assertEquals(0, storedSecrets());
    }

    @Test
    void apiServerFailuresAreDistinctRejections() throws Exception {
        Map<Integer, String> expected = Map.of(401, "API_SERVER_UNAUTHORIZED", 403, "API_SERVER_FORBIDDEN",
                500, "API_SERVER_ERROR");
        for (var e : expected.entrySet()) {
            apiServer.resetAll();
            apiServer.stubFor(get(urlEqualTo("/version")).willReturn(aResponse().withStatus(e.getKey())));
            var reply = events().send(event("req-5-" + e.getKey(),
                    EventTypes.CLUSTER_REGISTRATION_REQUESTED, Requests.valid("east", "10.0.0.1", apiUrl(), tls.caPem())),
                    mode(e.getKey() % 2 == 0));
            assertEquals(EventTypes.CLUSTER_REGISTRATION_REJECTED, reply.event().getType());
            assertEquals(e.getValue(), data(reply.event()).at("/reasons/0/code").asText());
            assertEquals(List.of(), storedClusters());
            assertEquals(0, storedSecrets());
        }
    }

    @Test
    void deregistrationRemovesEverythingAndIsIdempotent() throws Exception {
        events().send(event("req-6", EventTypes.CLUSTER_REGISTRATION_REQUESTED,
                Requests.valid("east", "10.0.0.1", apiUrl(), tls.caPem())), mode(false));
        for (boolean existed : new boolean[] {true, false}) {
            var reply = events().send(event("req-7-" + existed,
                    EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, Map.of("name", "east")), mode(!existed));
            assertEquals(EventTypes.CLUSTER_DEREGISTERED, reply.event().getType());
            assertEquals("east", reply.event().getSubject());
            assertEquals(existed, data(reply.event()).get("existed").asBoolean());
            assertEquals(List.of(), storedClusters());
            assertEquals(0, storedSecrets());
        }
    }

    Map<String, String> binaryHeaders(String type) {
        return Map.of("ce-id", "bad-1", "ce-specversion", "1.0", "ce-type", type, "ce-source", "test",
                "Content-Type", "application/json");
    }

    @Test
    void wrongTypeIsA400NamingTheField() throws Exception {
        String body = "{\"name\":\"east\",\"eastWestGateway\":{\"address\":\"10.0.0.1\",\"port\":\"abc\"}}";
        var reply = events().sendRaw(binaryHeaders(EventTypes.CLUSTER_REGISTRATION_REQUESTED),
                body.getBytes(StandardCharsets.UTF_8));
        assertEquals(400, reply.status());
        JsonNode error = ModelJson.mapper().readTree(reply.bodyText());
        assertEquals("data.eastWestGateway.port", error.get("field").asText());
        assertTrue(error.get("message").asText().contains("integer"), reply.bodyText());
        assertEquals(List.of(), storedClusters());
    }

    @Test
    void unknownFieldIsA400NamingIt() throws Exception {
        var reply = events().sendRaw(binaryHeaders(EventTypes.CLUSTER_REGISTRATION_REQUESTED),
                "{\"name\":\"east\",\"clusterColour\":\"blue\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, reply.status());
        assertEquals("data.clusterColour", ModelJson.mapper().readTree(reply.bodyText()).get("field").asText());
    }

    @Test
    void malformedJsonIsA400() throws Exception {
        var reply = events().sendRaw(binaryHeaders(EventTypes.CLUSTER_REGISTRATION_REQUESTED),
                "{\"name\": \"east\",".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, reply.status());
        assertTrue(reply.bodyText().contains("not valid JSON"), reply.bodyText());
        assertEquals(List.of(), storedClusters());
    }

    @Test
    void unknownEventTypeIsA404() throws Exception {
        var reply = events().sendRaw(binaryHeaders("io.meshfed.nobody.listens"),
                "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(404, reply.status());
        assertNull(reply.event());
    }

    @Test
    void oversizedPayloadIsA413() throws Exception {
        String big = "{\"name\":\"" + "a".repeat(300 * 1024) + "\"}";
        var reply = events().sendRaw(binaryHeaders(EventTypes.CLUSTER_REGISTRATION_REQUESTED),
                big.getBytes(StandardCharsets.UTF_8));
        assertEquals(413, reply.status());
        assertEquals(List.of(), storedClusters());
    }

    @Test
    void badDeregistrationNameIsA400() throws Exception {
        var reply = events().sendRaw(binaryHeaders(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED),
                "{\"name\":\"Not A Name\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, reply.status());
        assertEquals("data.name", ModelJson.mapper().readTree(reply.bodyText()).get("field").asText());
    }

    static CloudEvent rawEvent(String id, String type, String subject, String json) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId(id).withType(type).withSource(URI.create("test/operator"))
                .withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8));
        return subject == null ? b.build() : b.withSubject(subject).build();
    }

    @Test
    void aDeregistrationWithAnUnknownFieldIsA400AndRemovesNothing() throws Exception {
        events().send(event("req-8", EventTypes.CLUSTER_REGISTRATION_REQUESTED,
                Requests.valid("east", "10.0.0.1", apiUrl(), tls.caPem())), mode(false));
        for (boolean structured : new boolean[] {false, true}) {
            var reply = events().send(rawEvent("req-9", EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, "east",
                    "{\"name\":\"east\",\"force\":true}"), mode(structured));
            assertEquals(400, reply.status(), reply.bodyText());
            JsonNode error = ModelJson.mapper().readTree(reply.bodyText());
            assertEquals("data.force", error.get("field").asText());
            assertTrue(error.get("message").asText().contains("not a known field"), reply.bodyText());
            assertNull(reply.event());
            assertEquals(List.of("east"), storedClusters());
            assertEquals(1, storedSecrets());
        }
    }

    @Test
    void aNameThatIsNotAStringIsA400() throws Exception {
        events().send(event("req-10", EventTypes.CLUSTER_REGISTRATION_REQUESTED,
                Requests.valid("east", "10.0.0.1", apiUrl(), tls.caPem())), mode(false));
        for (String type : List.of(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, EventTypes.CLUSTER_REGISTRATION_REQUESTED)) {
            var reply = events().send(rawEvent("req-11", type, null, "{\"name\":123}"), mode(false));
            assertEquals(400, reply.status(), reply.bodyText());
            JsonNode error = ModelJson.mapper().readTree(reply.bodyText());
            assertEquals("data.name", error.get("field").asText(), reply.bodyText());
            assertTrue(error.get("message").asText().contains("a string"), reply.bodyText());
        }
        assertEquals(List.of("east"), storedClusters());
        assertEquals(1, storedSecrets());
    }

    @Test
    void aFiveMegabyteEventIsA413WithABody() throws Exception {
        String big = "{\"name\":\"east\",\"padding\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}";
        var reply = events().send(rawEvent("req-12", EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, null, big),
                mode(false));
        assertEquals(413, reply.status());
        assertEquals("body", ModelJson.mapper().readTree(reply.bodyText()).get("field").asText(), reply.bodyText());
    }

    @Test
    void aStructuredEventThatIsNotJsonIsA400NamingTheEvent() throws Exception {
        var reply = events().sendRaw(Map.of("Content-Type", "application/cloudevents+json"),
                "{\"specversion\":\"1.0\",\"type\":\"io.meshfed.cluster.deregistration.requested\","
                        .getBytes(StandardCharsets.UTF_8));
        assertEquals(400, reply.status(), reply.bodyText());
        JsonNode error = ModelJson.mapper().readTree(reply.bodyText());
        assertEquals("event", error.get("field").asText(), reply.bodyText());
        assertTrue(error.get("message").asText().startsWith("is not valid JSON"), reply.bodyText());
    }
}
