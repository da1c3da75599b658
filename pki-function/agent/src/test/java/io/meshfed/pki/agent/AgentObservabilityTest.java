package io.meshfed.pki.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.testsupport.MetricsScrape;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CSR agent's Quarkus app against the real signing service over HTTP ({@link PkiOverHttp}), writing its files:
 * not ready while the PKI answers 503 (each such request counted {@code unavailable}), ready once {@code cacerts} is
 * written, and on {@code GET /metrics} the request outcomes, the write, and the expiry of the installed root,
 * signing CA and intermediate, each equal to notAfter as openssl reads it from the written files.
 */
@QuarkusTest
@QuarkusTestResource(value = PkiOverHttp.class, restrictToAnnotatedClass = true)
class AgentObservabilityTest {
    private static final DateTimeFormatter OPENSSL_DATE = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy z",
            Locale.ROOT);
    private static final Map<String, String> CLUSTER = Map.of("cluster", PkiOverHttp.CLUSTER);

    @TestHTTPResource("/")
    URI root;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void notReadyUntilCacertsIsWrittenThenEveryCertificatesExpiryIsExported() throws Exception {
        await(() -> PkiOverHttp.UNAVAILABLE_ANSWERS.get() >= 2, "the agent asks the PKI and retries");
        assertEquals(503, get("/q/health/ready").statusCode(), "nothing installed yet: not ready");
        assertEquals(200, get("/q/health/live").statusCode());
        MetricsScrape before = MetricsScrape.of(root);
        assertTrue(before.value("meshfed_agent_csr_requests_total", Map.of("outcome", "unavailable")) >= 2,
                before.toString());
        assertEquals(0, before.value("meshfed_agent_cacerts_writes_total", Map.of()));
        assertTrue(Double.isNaN(before.value("meshfed_certificate_expiry_timestamp_seconds",
                Map.of("role", "intermediate", "cluster", PkiOverHttp.CLUSTER))), "no intermediate, no expiry");

        PkiOverHttp.open();
        await(() -> get("/q/health/ready").statusCode() == 200, "ready once cacerts is written");
        MetricsScrape after = MetricsScrape.of(root);
        assertEquals(1, after.value("meshfed_agent_csr_requests_total", Map.of("outcome", "signed")),
                after.toString());
        assertEquals(0, after.value("meshfed_agent_csr_requests_total", Map.of("outcome", "rejected")));
        assertEquals(PkiOverHttp.UNAVAILABLE_ANSWERS.get(),
                after.value("meshfed_agent_csr_requests_total", Map.of("outcome", "unavailable")),
                "every 503 is one unavailable request");
        assertEquals(1, after.value("meshfed_agent_cacerts_writes_total", Map.of()), after.toString());

        List<X509Certificate> chain = Pems.certificates(
                Files.readString(PkiOverHttp.directory.resolve("cert-chain.pem")), "chain");
        assertEquals(opensslNotAfter("ca-cert.pem"), expiry(after, "intermediate"), after.toString());
        assertEquals(opensslNotAfter("root-cert.pem"), expiry(after, "root"), after.toString());
        assertEquals(chain.get(1).getNotAfter().toInstant().getEpochSecond(), expiry(after, "signing"));
        assertTrue(expiry(after, "intermediate") <= expiry(after, "signing"));
        assertTrue(get("/q/health/ready").body().contains(
                chain.get(0).getNotAfter().toInstant().toString().substring(0, 16)), "readiness says until when");
    }

    private static double expiry(MetricsScrape scrape, String role) {
        Map<String, String> labels = new java.util.HashMap<>(CLUSTER);
        labels.put("role", role);
        return scrape.value("meshfed_certificate_expiry_timestamp_seconds", labels);
    }

    private static long opensslNotAfter(String file) {
        OpenSsl.Result r = OpenSsl.run(PkiOverHttp.directory, "x509", "-noout", "-enddate", "-in", file);
        assertEquals(0, r.exitCode(), r.output());
        return ZonedDateTime.parse(r.output().trim().substring("notAfter=".length()), OPENSSL_DATE).toEpochSecond();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(root.resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Condition condition, String what) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!condition.holds()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(50);
        }
    }
}
