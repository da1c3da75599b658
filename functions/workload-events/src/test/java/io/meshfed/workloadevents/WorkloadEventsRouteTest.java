package io.meshfed.workloadevents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * The deployed function at its wire: every refusal that needs no API server answered with meshfed's one error body
 * (the TokenReview answers are {@code WorkloadEventsRealApiServerTest}'s, through local mode's same gate).
 */
@QuarkusTest
class WorkloadEventsRouteTest {
    @TestHTTPResource("/")
    URI root;

    final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(CloudEvent event, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(root);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        byte[][] body = new byte[1][];
        HttpMessageFactory.createWriter(request::header, b -> body[0] = b).writeBinary(event);
        return http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body[0] == null ? new byte[0] : body[0]))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static CloudEvent event(String type, byte[] data) {
        return CloudEventBuilder.v1().withId("1").withType(type).withSource(URI.create("/test"))
                .withExtension("meshfedcluster", "east").withSubject("east").withData(data).build();
    }

    private static void assertAnswer(HttpResponse<String> response, int status, String error) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.body().contains("\"error\":\"" + error + "\""), response.body());
    }

    @Test
    void answersHealthAndRefusesWithTheOneErrorBody() throws Exception {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(root.resolve("/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());

        assertAnswer(post(event("dev.knative.apiserver.resource.add", new byte[1]), null), 401, "unauthenticated");
        assertAnswer(post(event("io.meshfed.cluster.deregistration.requested", new byte[1]), "Bearer x"), 403,
                "forbidden");
        assertAnswer(post(event("dev.knative.apiserver.resource.add", new byte[300 * 1024]), "Bearer x"), 413,
                "too-large");
        HttpResponse<String> notAnEvent = http.send(HttpRequest.newBuilder(root).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertAnswer(notAnEvent, 400, "bad-event");
    }
}
