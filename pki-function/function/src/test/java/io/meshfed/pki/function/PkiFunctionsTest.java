package io.meshfed.pki.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.agent.AgentSettings;
import io.meshfed.pki.agent.CsrAgent;
import io.meshfed.pki.agent.FileCaCertsStore;
import io.meshfed.pki.agent.HttpCsrClient;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.signing.AuditStore;
import io.meshfed.pki.signing.CsrRejected;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The function at the real wire: CloudEvents SDK client, both encodings, and the real agent end to end. */
@QuarkusTest
class PkiFunctionsTest {
    private static final String TD = TestClusterStore.TRUST_DOMAIN;

    @TestHTTPResource("/")
    URI root;

    @Inject
    AuditStore audit;

    private HttpCsrClient client(HttpCsrClient.Encoding encoding) {
        return new HttpCsrClient(root, "test/agent", encoding, Duration.ofSeconds(30));
    }

    private static String newId() {
        return "req-" + UUID.randomUUID();
    }

    @ParameterizedTest
    @EnumSource(HttpCsrClient.Encoding.class)
    void signsInBothEncodings(HttpCsrClient.Encoding encoding) throws Exception {
        HttpCsrClient client = client(encoding);
        String requestId = newId();
        CloudEvent request = client.event(TestPki.submitted("east",
                Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD), requestId));
        CloudEvent reply = client.exchange(request);

        assertEquals(EventTypes.CSR_SIGNED, reply.getType());
        assertEquals(URI.create("meshfed/pki"), reply.getSource());
        assertEquals("east", reply.getSubject());
        assertEquals(request.getId() + "/csr.signed", reply.getId());
        CsrSigned signed = ModelJson.mapper().readValue(reply.getData().toBytes(), CsrSigned.class);
        assertEquals(requestId, signed.requestId());
        List<X509Certificate> chain = Pems.certificates(signed.certChain(), "chain");
        X509Certificate root = Pems.certificates(signed.trustBundle(), "bundle").get(0);
        chain.get(0).verify(root.getPublicKey());
        assertEquals(0, chain.get(0).getBasicConstraints());
        assertEquals(chain.get(0).getSerialNumber().toString(16), signed.serial());
        assertTrue(audit.findIssued(requestId).isPresent());

        CloudEvent again = client.exchange(client.event(TestPki.submitted("east",
                ModelJson.mapper().readValue(request.getData().toBytes(), CsrSubmitted.class).csr(), requestId)));
        CsrSigned replayed = ModelJson.mapper().readValue(again.getData().toBytes(), CsrSigned.class);
        assertEquals(signed.serial(), replayed.serial(), "a replay returns the same certificate");
    }

    @ParameterizedTest
    @EnumSource(HttpCsrClient.Encoding.class)
    void rejectsWithTypedReasons(HttpCsrClient.Encoding encoding) throws Exception {
        HttpCsrClient client = client(encoding);
        String requestId = newId();
        CloudEvent reply = client.exchange(client.event(TestPki.submitted("west",
                Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD), requestId)));
        assertEquals(EventTypes.CSR_REJECTED, reply.getType());
        assertEquals(URI.create("meshfed/pki"), reply.getSource());
        assertEquals("west", reply.getSubject());
        CsrRejected rejected = ModelJson.mapper().readValue(reply.getData().toBytes(), CsrRejected.class);
        assertEquals(requestId, rejected.requestId());
        assertEquals(RejectionReason.CLUSTER_NOT_REGISTERED, rejected.reasons().get(0).reason());
        assertTrue(audit.findIssued(requestId).isEmpty());
    }

    @ParameterizedTest
    @EnumSource(HttpCsrClient.Encoding.class)
    void aCallerWithoutAValidTokenIsRefusedAndItsTokenGoesNowhere(HttpCsrClient.Encoding encoding) throws Exception {
        HttpCsrClient client = client(encoding);
        String csr = Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD);
        int before = audit.list().size();
        long counted = unauthenticatedCount();
        String forged = "forged-token-" + UUID.randomUUID();
        for (String token : java.util.Arrays.asList(null, forged)) {
            String requestId = newId();
            CloudEvent reply = client.exchange(client.event(new CsrSubmitted("east", csr, requestId, null, token)));
            assertEquals(EventTypes.CSR_REJECTED, reply.getType());
            String data = new String(reply.getData().toBytes(), StandardCharsets.UTF_8);
            assertTrue(!data.contains(forged), "the reply never echoes the token: " + data);
            CsrRejected rejected = ModelJson.mapper().readValue(reply.getData().toBytes(), CsrRejected.class);
            assertEquals(RejectionReason.UNAUTHENTICATED, rejected.reasons().get(0).reason(), data);
            assertTrue(audit.findIssued(requestId).isEmpty());
        }
        assertEquals(before, audit.list().size(), "refusals of unauthenticated callers are not stored");
        assertEquals(counted + 2, unauthenticatedCount(), "but they are counted, per reason, at /debug/metrics");
    }

    /** meshfed_pki_rejected_total{reason="UNAUTHENTICATED"} as the function's metrics endpoint reports it. */
    private long unauthenticatedCount() throws Exception {
        var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                root.resolve("/debug/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        String prefix = "meshfed_pki_rejected_total{reason=\"UNAUTHENTICATED\"} ";
        return response.body().lines().filter(l -> l.startsWith(prefix)).mapToLong(l -> Long.parseLong(
                l.substring(prefix.length()).trim())).findFirst().orElseThrow(() -> new AssertionError(response.body()));
    }

    @Test
    void dataThatIsNotCsrSubmittedIsRejectedClearly() throws Exception {
        HttpCsrClient client = client(HttpCsrClient.Encoding.BINARY);
        for (String data : List.of("{\"cluster\":\"east\",\"csr\":\"x\",\"requestId\":\"r\",\"extra\":1}",
                "[1,2,3]", "{\"cluster\":\"east\",\"lifetimeSeconds\":\"soon\"}")) {
            CloudEvent reply = client.exchange(CloudEventBuilder.v1().withId(UUID.randomUUID().toString())
                    .withType(EventTypes.CSR_SUBMITTED).withSource(URI.create("test"))
                    .withDataContentType("application/json").withData(data.getBytes(StandardCharsets.UTF_8)).build());
            assertEquals(EventTypes.CSR_REJECTED, reply.getType(), data);
            CsrRejected rejected = ModelJson.mapper().readValue(reply.getData().toBytes(), CsrRejected.class);
            assertEquals(RejectionReason.INVALID_REQUEST, rejected.reasons().get(0).reason(), data);
        }
    }

    @Test
    void oversizedCsrIsRejectedAndTenMegabytesNeverReachTheFunction() throws Exception {
        HttpCsrClient client = client(HttpCsrClient.Encoding.STRUCTURED);
        String big = "-----BEGIN CERTIFICATE REQUEST-----\n" + "A".repeat(100_000)
                + "\n-----END CERTIFICATE REQUEST-----\n";
        CloudEvent reply = client.exchange(client.event(TestPki.submitted("east", big, newId())));
        CsrRejected rejected = ModelJson.mapper().readValue(reply.getData().toBytes(), CsrRejected.class);
        assertEquals(RejectionReason.PAYLOAD_TOO_LARGE, rejected.reasons().get(0).reason());

        int before = audit.list().size();
        String huge = "{\"cluster\":\"east\",\"requestId\":\"huge\",\"csr\":\"" + "A".repeat(10 * 1024 * 1024) + "\"}";
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(root)
                .header("ce-id", "big").header("ce-specversion", "1.0").header("ce-source", "test")
                .header("ce-type", EventTypes.CSR_SUBMITTED).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(huge)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, response.statusCode());
        assertEquals(before, audit.list().size(), "nothing reached the signing service");
    }

    @Test
    void theRealAgentGetsItsIntermediateFromTheFunction() throws Exception {
        Path dir = Files.createTempDirectory("cacerts");
        FileCaCertsStore store = new FileCaCertsStore(dir.resolve("out"));
        CsrAgent agent = new CsrAgent(AgentSettings.defaults("east", TD), client(HttpCsrClient.Encoding.BINARY),
                () -> TestPki.AGENT_TOKEN, store, Clock.systemUTC(), new Random(), List.of());
        agent.reconcile();
        assertEquals(0, agent.failures());
        Path out = dir.resolve("out");
        OpenSsl.Result verify = OpenSsl.run(out, "verify", "-CAfile", "root-cert.pem", "-untrusted",
                "cert-chain.pem", "ca-cert.pem");
        assertEquals(0, verify.exitCode(), verify.output());
        String requestId = store.read().orElseThrow().requestId();
        AuditRecord record = audit.findIssued(requestId).orElseThrow();
        assertEquals("system:serviceaccount:istio-system:meshfed-csr-agent", record.requester(),
                "the audit names who asked as the cluster's API server vouched for it, not the event source");
        assertEquals("east", record.cluster());
    }
}
