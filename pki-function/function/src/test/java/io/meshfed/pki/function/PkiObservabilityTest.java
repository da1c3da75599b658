package io.meshfed.pki.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.agent.HttpCsrClient;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.MetricsScrape;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PKI function's series on {@code GET /metrics} after real CSRs sent with the CloudEvents SDK
 * (docs/observability.md): intermediates signed per cluster, refusals per reason, events by outcome, and the expiry
 * gauges of the root, the signing CA and the cluster's intermediate, each equal to the certificate's notAfter as
 * openssl reads it; and readiness, which waits for the CA material.
 */
@QuarkusTest
class PkiObservabilityTest {
    private static final String SUBMITTED = EventTypes.CSR_SUBMITTED;
    private static final DateTimeFormatter OPENSSL_DATE = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss yyyy z",
            Locale.ROOT);

    @TestHTTPResource("/")
    URI root;

    @TempDir
    Path dir;

    @Test
    void signedRejectedRefusedAndEveryCertificatesExpiryAreExported() throws Exception {
        HttpCsrClient client = new HttpCsrClient(root, "test/agent", HttpCsrClient.Encoding.BINARY,
                Duration.ofSeconds(30));
        MetricsScrape before = MetricsScrape.of(root);
        assertEquals("gauge", before.type("meshfed_certificate_expiry_timestamp_seconds"), before.toString());

        CloudEvent signedReply = client.exchange(client.event(TestPki.submitted("east", Csrs.istioIntermediate(
                Csrs.keys(KeyAlgorithm.ECDSA_P256), TestClusterStore.TRUST_DOMAIN), "obs-" + UUID.randomUUID())));
        assertEquals(EventTypes.CSR_SIGNED, signedReply.getType());
        CsrSigned signed = ModelJson.mapper().readValue(signedReply.getData().toBytes(), CsrSigned.class);
        CloudEvent rejectedReply = client.exchange(client.event(TestPki.submitted("west", Csrs.istioIntermediate(
                Csrs.keys(KeyAlgorithm.ECDSA_P256), TestClusterStore.TRUST_DOMAIN), "obs-" + UUID.randomUUID())));
        assertEquals(EventTypes.CSR_REJECTED, rejectedReply.getType());
        CloudEventsClient events = new CloudEventsClient(root);
        var notJson = events.send(CloudEventBuilder.v1().withId("obs-bad").withType(SUBMITTED)
                .withSource(URI.create("test/agent")).withDataContentType("application/json")
                .withData("[1,".getBytes(StandardCharsets.UTF_8)).build(), CloudEventsClient.Mode.BINARY);
        assertEquals(EventTypes.CSR_REJECTED, notJson.event().getType(), "unreadable CSR data is a typed rejection");
        var notForUs = events.send(CloudEventBuilder.v1().withId("obs-other").withType(EventTypes.CSR_SIGNED)
                .withSource(URI.create("test/agent")).build(), CloudEventsClient.Mode.BINARY);
        assertEquals(404, notForUs.status(), notForUs.bodyText());
        MetricsScrape after = MetricsScrape.of(root);

        assertEquals(1, delta(before, after, "meshfed_csr_signed_total", Map.of("cluster", "east")), after.toString());
        assertEquals(1, delta(before, after, "meshfed_csr_rejected_total",
                Map.of("reason", RejectionReason.CLUSTER_NOT_REGISTERED.name())), after.toString());
        assertEquals(1, delta(before, after, "meshfed_csr_rejected_total",
                Map.of("reason", RejectionReason.INVALID_REQUEST.name())), after.toString());
        assertTrue(after.has("meshfed_csr_rejected_total", Map.of("reason", RejectionReason.WRONG_IDENTITY.name())),
                "every reason is exported from the start");
        Map<String, String> ok = Map.of("function", "pki", "type", SUBMITTED, "outcome", "ok");
        assertEquals(3, delta(before, after, "meshfed_events_total", ok), "a signature and rejections are answers");
        assertEquals(0, delta(before, after, "meshfed_events_total",
                Map.of("function", "pki", "type", SUBMITTED, "outcome", "refused")), after.toString());
        assertEquals(1, delta(before, after, "meshfed_events_total",
                Map.of("function", "pki", "type", "other", "outcome", "refused")), after.toString());

        List<X509Certificate> chain = Pems.certificates(signed.certChain(), "chain");
        X509Certificate activeRoot = Pems.certificates(signed.trustBundle(), "bundle").get(0);
        Files.writeString(dir.resolve("intermediate.pem"), Pems.encode(chain.get(0)));
        assertEquals(opensslNotAfter("intermediate.pem"), after.value("meshfed_certificate_expiry_timestamp_seconds",
                Map.of("role", "intermediate", "cluster", "east")), after.toString());
        assertEquals(chain.get(0).getNotAfter().toInstant().getEpochSecond(), opensslNotAfter("intermediate.pem"));
        assertEquals(activeRoot.getNotAfter().toInstant().getEpochSecond(), after.value(
                "meshfed_certificate_expiry_timestamp_seconds", Map.of("role", "root", "cluster", "")));
        X509Certificate signingCa = chain.get(1);
        assertEquals(signingCa.getNotAfter().toInstant().getEpochSecond(), after.value(
                "meshfed_certificate_expiry_timestamp_seconds", Map.of("role", "signing", "cluster", "")));
        assertTrue(after.samples().stream().noneMatch(s -> s.labels().containsValue("west")),
                "a cluster that got nothing has no series");
    }

    @Test
    void readyOnceTheCaMaterialIsLoaded() throws Exception {
        HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                root.resolve("/q/health/ready")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("ca-material"), ready.body());
    }

    private long opensslNotAfter(String file) {
        OpenSsl.Result r = OpenSsl.run(dir, "x509", "-noout", "-enddate", "-in", file);
        assertEquals(0, r.exitCode(), r.output());
        String date = r.output().trim().substring("notAfter=".length());
        return ZonedDateTime.parse(date, OPENSSL_DATE).toEpochSecond();
    }

    private static double delta(MetricsScrape before, MetricsScrape after, String name, Map<String, String> labels) {
        return after.value(name, labels) - before.value(name, labels);
    }
}
