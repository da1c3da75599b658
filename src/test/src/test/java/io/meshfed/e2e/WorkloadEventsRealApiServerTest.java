package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.workloadevents.WorkloadEventGate;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The entry for workload clusters' own events, against real kube-apiservers: an event posted with a token of the
 * sender's ServiceAccount that east's API server issued (TokenRequest, audience {@code meshfed-workload-events})
 * becomes an export sync of east, and export reads east again (a Service created there reaches the catalog).
 * Every other sender is refused with a typed answer and nothing is synced: no token, a token west's API server
 * issued but claiming east, a token of another ServiceAccount or for another audience, a type that does not enter
 * there (even with a good token), an unregistered cluster, an oversized body.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class WorkloadEventsRealApiServerTest {
    private static final String[] SENDER = WorkloadEventGate.DEFAULT_SENDER.split("/");

    RealFleet fleet;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        fleet = RealFleet.start(dir, new FlatExample.Pod("10.1.0.7", 7070), new FlatExample.Pod("10.2.0.7", 7070));
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    private String senderToken(String cluster, String audience) {
        return fleet.apiServer(cluster).serviceAccountToken(SENDER[0], SENDER[1], audience, Duration.ofHours(1));
    }

    private static CloudEvent apiServerEvent(String type, String cluster) {
        return CloudEventBuilder.v1().withId(UUID.randomUUID().toString()).withType(type)
                .withSource(URI.create("https://10.96.0.1:443")).withExtension("meshfedcluster", cluster)
                .withDataContentType("application/json")
                .withData("{\"kind\":\"Service\",\"metadata\":{\"name\":\"x\"}}".getBytes(StandardCharsets.UTF_8))
                .build();
    }

    record Answer(int status, String body) {
    }

    private Answer post(CloudEvent event, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(fleet.mesh().workloadEventsUrl())
                .timeout(Duration.ofSeconds(60));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        byte[][] body = new byte[1][];
        HttpMessageFactory.createWriter(request::header, b -> body[0] = b).writeBinary(event);
        HttpResponse<String> response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body[0]))
                .build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.body());
    }

    private long admitted() {
        return fleet.progress().stream().filter(l -> l.startsWith("admitted ")).count();
    }

    private void assertRefused(Answer answer, int status, String error, String why) {
        assertEquals(status, answer.status(), why + ": " + answer.body());
        assertTrue(answer.body().contains("\"error\":\"" + error + "\""), why + ": " + answer.body());
    }

    @Test
    void aChangeEventOfEastWithEastsSenderTokenMakesExportReadEastAgain() throws Exception {
        fleet.apply("east", """
                apiVersion: v1
                kind: Service
                metadata: {name: late, namespace: demo, labels: {meshfed.io/export: "true"}}
                spec:
                  selector: {app: late}
                  ports: [{name: grpc, port: 7070, appProtocol: grpc}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: late-1, namespace: demo, labels: {kubernetes.io/service-name: late}}
                addressType: IPv4
                ports: [{name: grpc, port: 7070, protocol: TCP}]
                endpoints:
                  - addresses: ["10.1.0.9"]
                    conditions: {ready: true}
                    zone: us-east-a
                """);
        long before = fleet.progress().size();
        Answer answer = post(apiServerEvent("dev.knative.apiserver.ref.add", "east"),
                senderToken("east", WorkloadEventGate.DEFAULT_AUDIENCE));
        assertEquals(202, answer.status(), answer.body());
        List<String> after = fleet.progress().subList((int) before, fleet.progress().size());
        assertTrue(after.stream().anyMatch(l -> l.startsWith("admitted dev.knative.apiserver.ref.add of cluster"
                + " east")), "admitted: " + after);
        assertTrue(after.stream().anyMatch(l -> l.startsWith("catalog of east changed")),
                "export read east again and took the new Service: " + after);
    }

    @Test
    void everyOtherSenderIsRefusedAndNothingIsSynced() throws Exception {
        CloudEvent change = apiServerEvent("dev.knative.apiserver.resource.update", "east");
        long admittedBefore = admitted();

        assertRefused(post(change, null), 401, "unauthenticated", "no token");
        assertRefused(post(change, senderToken("west", WorkloadEventGate.DEFAULT_AUDIENCE)), 401, "unauthenticated",
                "west's token claiming east");
        assertRefused(post(change, fleet.apiServer("east").serviceAccountToken("meshfed-system",
                "meshfed-export-reader", WorkloadEventGate.DEFAULT_AUDIENCE, Duration.ofHours(1))), 403, "forbidden",
                "a token of another ServiceAccount of east");
        assertRefused(post(change, senderToken("east", "meshfed-pki")), 403, "forbidden",
                "the sender's token for another audience");
        assertRefused(post(change, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"), 401, "unauthenticated",
                "a forged token");

        String good = senderToken("east", WorkloadEventGate.DEFAULT_AUDIENCE);
        for (String type : List.of("io.meshfed.cluster.deregistration.requested",
                "io.meshfed.cluster.registration.requested", "io.meshfed.csr.submitted", "io.meshfed.catalog.changed")) {
            CloudEvent other = CloudEventBuilder.v1(change).withType(type).withSubject("east").build();
            assertRefused(post(other, good), 403, "forbidden", type + " with the sender's good token");
        }
        assertRefused(post(apiServerEvent("dev.knative.apiserver.resource.update", "north"), good), 422,
                "unknown-cluster", "an unregistered cluster");
        CloudEvent huge = CloudEventBuilder.v1(change).withData(new byte[300 * 1024]).build();
        assertRefused(post(huge, good), 413, "too-large", "a body over 256 KiB");

        assertEquals(admittedBefore, admitted(), "nothing was admitted: " + fleet.progress());
    }
}
