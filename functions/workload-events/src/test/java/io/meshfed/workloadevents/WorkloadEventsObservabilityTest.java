package io.meshfed.workloadevents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * The workload-events entry at the paths every meshfed component is scraped and probed at (docs/observability.md):
 * Prometheus text at {@code GET /metrics}, with the HTTP server's requests, and health at the Kubernetes probe paths.
 */
@QuarkusTest
class WorkloadEventsObservabilityTest {
    @TestHTTPResource("/")
    URI root;

    final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(root.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAndHealthAreServed() throws Exception {
        HttpResponse<String> unauthenticated = http.send(HttpRequest.newBuilder(root)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(unauthenticated.statusCode() >= 400, unauthenticated.body());
        HttpResponse<String> metrics = get("/metrics");
        assertEquals(200, metrics.statusCode(), metrics.body());
        String type = metrics.headers().firstValue("Content-Type").orElse("");
        assertTrue(type.startsWith("text/plain") || type.startsWith("application/openmetrics-text"), type);
        assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith("http_server_requests_seconds_count{")
                && l.contains("method=\"POST\"") && l.contains("status=\"" + unauthenticated.statusCode() + "\"")),
                metrics.body());
        for (String path : new String[] {"/q/health/live", "/q/health/ready"}) {
            HttpResponse<String> health = get(path);
            assertEquals(200, health.statusCode(), path + ": " + health.body());
            assertTrue(health.body().replace(" ", "").contains("\"status\":\"UP\""), health.body());
        }
    }
}
