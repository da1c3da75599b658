package io.meshfed.pki.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.testsupport.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The xDS client half of the agent against the real signing service and fabric8's CRUD mock server (the real-API
 * server path is {@code RealFleet}'s: every real-istiod test's relay uses what the agent wrote there).
 */
@EnableKubernetesMockClient(crud = true)
class XdsClientAgentTest {
    static KubernetesClient client;
    private static final TokenSource AGENT_TOKEN = () -> TestPki.AGENT_TOKEN;

    @TempDir
    Path dir;

    private TestPki pki;
    private InProcessCsrClient csrClient;
    private MutableClock clock;
    private KubernetesXdsClientStore store;

    @BeforeEach
    void setUp() {
        client.secrets().inNamespace("istio-system").delete();
        pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", "east.example.org");
        pki.clusters.register("west", "west.example.org");
        csrClient = new InProcessCsrClient(pki.service);
        clock = new MutableClock();
        store = new KubernetesXdsClientStore(client, "istio-system", KubernetesXdsClientStore.DEFAULT_NAME);
    }

    private XdsClientAgent agent(CsrClient csrs) {
        return new XdsClientAgent(AgentSettings.defaults("east", "east.example.org"), null, csrs, AGENT_TOKEN, store,
                clock, new Random(1), List.of());
    }

    private long issued() {
        return pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.ISSUED).count();
    }

    private Secret secret() {
        return client.secrets().inNamespace("istio-system").withName(KubernetesXdsClientStore.DEFAULT_NAME).get();
    }

    @Test
    void writesATlsSecretTheRelayCanPresentAndOpensslVerifiesAsAClient() throws Exception {
        Instant next = agent(csrClient).reconcile();

        Secret secret = secret();
        assertEquals("kubernetes.io/tls", secret.getType());
        assertEquals(Set.of("tls.crt", "tls.key", "ca.crt"), secret.getData().keySet());
        for (String key : secret.getData().keySet()) {
            Files.write(dir.resolve(key), Base64.getDecoder().decode(secret.getData().get(key)));
        }
        OpenSsl.run(dir, "verify", "-purpose", "sslclient", "-CAfile", "ca.crt", "-untrusted", "tls.crt", "tls.crt")
                .assertOk();
        String fromKey = OpenSsl.run(dir, "pkey", "-in", "tls.key", "-pubout").assertOk().output();
        String fromCert = OpenSsl.run(dir, "x509", "-in", "tls.crt", "-noout", "-pubkey").assertOk().output();
        assertEquals(fromCert, fromKey, "tls.key is the key of tls.crt");
        String text = OpenSsl.run(dir, "x509", "-in", "tls.crt", "-noout", "-ext", "subjectAltName").assertOk()
                .output();
        assertTrue(text.contains("DNS:east.xds.meshfed.example"), text);
        Duration untilRenewal = Duration.between(clock.instant(), next);
        assertTrue(untilRenewal.compareTo(Duration.ofHours(15)) > 0 && untilRenewal.compareTo(Duration.ofHours(17)) < 0,
                "renewal at two thirds of a day (less the backdating): " + untilRenewal);
        assertEquals(1, issued());
    }

    @Test
    void renewsOnlyAtTwoThirdsWithANewKey() {
        XdsClientAgent agent = agent(csrClient);
        Instant renewAt = agent.reconcile();
        String first = secret().getData().get("tls.key");

        clock.set(renewAt.minusSeconds(1));
        assertEquals(renewAt, agent.reconcile(), "nothing due yet");
        assertEquals(1, issued());

        clock.set(renewAt.plusSeconds(1));
        agent.reconcile();
        assertEquals(2, issued());
        assertNotEquals(first, secret().getData().get("tls.key"), "a new key for every certificate");
        assertEquals(0, agent.failures());
    }

    @Test
    void aReplyThatDoesNotNameThisClusterIsNeverWritten() {
        // A management plane that answers east's request with a certificate for west (the agent cannot be made
        // to present another cluster's name by whoever answers it).
        CsrClient crossed = request -> csrClient.submit(new CsrSubmitted("west", request.csr(), request.requestId(),
                request.lifetimeSeconds(), request.token(), request.purpose()));
        XdsClientAgent agent = agent(crossed);
        agent.reconcile();
        assertEquals(1, issued(), "west's certificate was issued");
        assertEquals(null, secret(), "but not installed as east's");
        assertEquals(1, agent.failures());
    }

    @Test
    void aLostReplyIsCollectedByReplayNotBySigningAgain() {
        XdsClientAgent agent = agent(csrClient);
        csrClient.loseReplies = true;
        agent.reconcile();
        csrClient.loseReplies = false;
        agent.reconcile();
        assertEquals(1, issued());
        assertEquals(1, Set.copyOf(csrClient.requestIds).size(), "one request id throughout");
        assertTrue(store.readVersioned().flatMap(XdsClientStore.Versioned::material).isPresent());
    }
}
