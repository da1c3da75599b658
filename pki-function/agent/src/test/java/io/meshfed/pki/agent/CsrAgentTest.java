package io.meshfed.pki.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.testsupport.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's logic against the real signing service and fabric8's CRUD mock server; no Quarkus. */
@EnableKubernetesMockClient(crud = true)
class CsrAgentTest {
    static KubernetesClient client;
    private static final String TD = "east.example.org";
    private static final TokenSource AGENT_TOKEN = () -> TestPki.AGENT_TOKEN;

    @TempDir
    Path dir;

    private TestPki pki;
    private InProcessCsrClient csrClient;
    private MutableClock clock;
    private KubernetesCaCertsStore store;

    @BeforeEach
    void setUp() {
        client.secrets().inNamespace("istio-system").delete();
        pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", TD);
        csrClient = new InProcessCsrClient(pki.service);
        clock = new MutableClock();
        store = new KubernetesCaCertsStore(client, "istio-system", "cacerts");
    }

    private CsrAgent agent(AgentSettings settings) {
        return new CsrAgent(settings, csrClient, AGENT_TOKEN, store, clock, new Random(1), List.of());
    }

    private long issued() {
        return pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.ISSUED).count();
    }

    @Test
    void writesIstioCacertsWithExactlyFourKeysAndAChainThatVerifies() throws Exception {
        agent(AgentSettings.defaults("east", TD)).reconcile();

        Secret secret = client.secrets().inNamespace("istio-system").withName("cacerts").get();
        assertEquals(Set.of("ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"),
                secret.getData().keySet());
        for (String key : secret.getData().keySet()) {
            Files.write(dir.resolve(key), Base64.getDecoder().decode(secret.getData().get(key)));
        }
        OpenSsl.Result verify = OpenSsl.run(dir, "verify", "-CAfile", "root-cert.pem", "-untrusted",
                "cert-chain.pem", "ca-cert.pem");
        assertEquals(0, verify.exitCode(), verify.output());
        // ca-key.pem is the key of ca-cert.pem: openssl derives the same public key from both.
        String fromKey = OpenSsl.run(dir, "pkey", "-in", "ca-key.pem", "-pubout").assertOk().output();
        String fromCert = OpenSsl.run(dir, "x509", "-in", "ca-cert.pem", "-noout", "-pubkey").assertOk().output();
        assertEquals(fromCert, fromKey);
        assertEquals(1, issued());
    }

    @Test
    void survivesADownManagementPlaneWithBackoffAndWritesNothingMeanwhile() {
        CsrAgent agent = agent(AgentSettings.defaults("east", TD));
        csrClient.down = true;
        Instant t0 = clock.instant();
        Duration first = Duration.between(t0, agent.reconcile());
        Duration second = Duration.between(t0, agent.reconcile());
        Duration third = Duration.between(t0, agent.reconcile());
        assertTrue(first.toMillis() >= 800 && first.toMillis() <= 1200, first.toString());
        assertTrue(second.toMillis() >= 1600 && second.toMillis() <= 2400, second.toString());
        assertTrue(third.toMillis() >= 3200 && third.toMillis() <= 4800, third.toString());
        for (int i = 0; i < 20; i++) {
            assertTrue(Duration.between(t0, agent.reconcile()).compareTo(Duration.ofMinutes(6)) <= 0, "capped");
        }
        assertTrue(store.read().isEmpty());

        // It comes back, signs, but the reply is lost: the next attempt replays the same request id.
        csrClient.down = false;
        csrClient.loseReplies = true;
        agent.reconcile();
        assertEquals(1, issued());
        assertTrue(store.read().isEmpty());
        csrClient.loseReplies = false;
        agent.reconcile();
        assertEquals(1, issued(), "the lost reply was collected by replay, not by a second signature");
        assertTrue(store.read().isPresent());
        assertEquals(1, Set.copyOf(csrClient.requestIds).size(), "one request id throughout");
        assertEquals(0, agent.failures());
    }

    @Test
    void restartKeepsTheInstalledIntermediateAndRenewsAtTwoThirds() {
        AgentSettings settings = new AgentSettings("east", TD, KeyAlgorithm.ECDSA_P256, Duration.ofHours(3),
                Duration.ofMinutes(10), Duration.ofSeconds(1), Duration.ofMinutes(5));
        Instant next = agent(settings).reconcile();
        CaCerts first = store.read().orElseThrow();
        assertEquals(clock.instant().plus(Duration.ofMinutes(10)), next, "next: the trust bundle refresh");

        CsrAgent restarted = agent(settings);
        restarted.reconcile();
        assertEquals(first, store.read().orElseThrow(), "a restart changes nothing");
        assertEquals(1, issued(), "the restarted agent replayed, it did not ask for a new signature");

        X509Certificate cert = Pems.certificates(first.caCert(), "ca").get(0);
        Instant renewAt = CsrAgent.renewAt(cert);
        Instant notBefore = cert.getNotBefore().toInstant();
        assertEquals(Duration.between(notBefore, cert.getNotAfter().toInstant()).multipliedBy(2).dividedBy(3),
                Duration.between(notBefore, renewAt));
        clock.set(renewAt.minusSeconds(1));
        restarted.reconcile();
        assertEquals(first.caCert(), store.read().orElseThrow().caCert(), "not yet due");
        clock.set(renewAt.plusSeconds(1));
        restarted.reconcile();
        CaCerts renewed = store.read().orElseThrow();
        assertNotEquals(first.caCert(), renewed.caCert());
        assertNotEquals(first.caKey(), renewed.caKey(), "a fresh key for every intermediate");
        assertEquals(2, issued());
    }

    @Test
    void aReplyThatFailsVerificationWritesNothing() {
        CsrAgent honest = agent(AgentSettings.defaults("east", TD));
        honest.reconcile();
        CaCerts installed = store.read().orElseThrow();

        // A management plane that answers every request with a certificate for someone else's key.
        SigningOutcome stolen = new SigningOutcome.Signed(new io.meshfed.pki.signing.CsrSigned("x", "east",
                installed.certChain(), installed.rootCert(), "01", "a", "b"), false);
        KubernetesCaCertsStore other = new KubernetesCaCertsStore(client, "istio-system", "cacerts-other");
        CsrAgent victim = new CsrAgent(AgentSettings.defaults("east", TD), request -> stolen, AGENT_TOKEN, other,
                clock, new Random(1), List.of());
        victim.reconcile();
        assertTrue(other.read().isEmpty(), "nothing written for a certificate that is not for our key");
        assertEquals(1, victim.failures());
    }

    @Test
    void aSecondWriterDuringSigningIsNotOverwritten() {
        // Another replica installs its own material while this agent's request is being signed.
        KubernetesCaCertsStore sameSecret = new KubernetesCaCertsStore(client, "istio-system", "cacerts");
        CaCerts[] theirs = new CaCerts[1];
        CsrClient racing = request -> {
            SigningOutcome outcome = csrClient.submit(request);
            if (theirs[0] == null) {
                CsrAgent other = new CsrAgent(AgentSettings.defaults("east", TD), csrClient, AGENT_TOKEN, sameSecret,
                        clock, new Random(2), List.of());
                other.reconcile();
                theirs[0] = sameSecret.read().orElseThrow();
            }
            return outcome;
        };
        CsrAgent agent = new CsrAgent(AgentSettings.defaults("east", TD), racing, AGENT_TOKEN, store, clock,
                new Random(1), List.of());
        agent.reconcile();
        assertEquals(theirs[0].caKey(), store.read().orElseThrow().caKey(), "the other writer's material stands");

        agent.reconcile();
        assertEquals(theirs[0].caKey(), store.read().orElseThrow().caKey(),
                "re-read: the installed material is valid, so the agent keeps it instead of renewing over it");
    }

    @Test
    void bothStoresRefuseAWriteFromAStaleRead() {
        FileCaCertsStore files = new FileCaCertsStore(dir.resolve("cacerts"));
        for (CaCertsStore s : List.<CaCertsStore>of(store, files)) {
            CsrAgent writer = new CsrAgent(AgentSettings.defaults("east", TD), csrClient, AGENT_TOKEN, s, clock,
                    new Random(1), List.of());
            writer.reconcile();
            CaCertsStore.Versioned read = s.readVersioned().orElseThrow();
            CaCerts installed = read.caCerts().orElseThrow();
            s.write(installed.withRootCert(installed.rootCert() + installed.rootCert()), read.version());
            assertThrows(io.meshfed.store.ConcurrentChangeException.class,
                    () -> s.write(installed, read.version()), s.getClass().getSimpleName());
            assertEquals(installed.rootCert() + installed.rootCert(), s.read().orElseThrow().rootCert());
        }
        assertThrows(io.meshfed.store.ConcurrentChangeException.class,
                () -> new FileCaCertsStore(dir.resolve("cacerts")).write(files.read().orElseThrow(), null),
                "a create-only write finds material there");
    }

    @Test
    void fileOutputSwapsTheFourFilesAtomically() throws Exception {
        FileCaCertsStore files = new FileCaCertsStore(dir.resolve("cacerts"));
        CsrAgent agent = new CsrAgent(AgentSettings.defaults("east", TD), csrClient, AGENT_TOKEN, files, clock,
                new Random(1), List.of());
        agent.reconcile();
        CaCerts first = files.read().orElseThrow();
        assertEquals(Set.of("ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem"),
                visibleNames(dir.resolve("cacerts")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dir.resolve("cacerts/ca-key.pem"))));

        files.write(first.withRootCert(first.rootCert() + first.rootCert()), files.readVersioned().orElseThrow().version());
        assertEquals(first.rootCert() + first.rootCert(),
                Files.readString(dir.resolve("cacerts/root-cert.pem"), StandardCharsets.UTF_8));
        assertEquals(first.caKey(), files.read().orElseThrow().caKey());
        assertEquals(first.requestId(), files.read().orElseThrow().requestId());
        try (var entries = Files.list(dir.resolve("cacerts"))) {
            assertEquals(1, entries.filter(p -> p.getFileName().toString().startsWith("..gen-")).count(),
                    "the previous generation is removed after the swap");
        }
        assertFalse(Files.exists(dir.resolve("cacerts/..data_tmp")));
    }

    @Test
    void readsItsProjectedTokenAfreshForEveryRequest() throws Exception {
        Path tokenFile = dir.resolve("token");
        for (String token : List.of("token-1", "token-2")) {
            pki.apiServers.accept(token, ServiceAccountName.CSR_AGENT.username(),
                    TokenReviewAuthenticator.DEFAULT_AUDIENCE);
        }
        CsrAgent agent = new CsrAgent(AgentSettings.defaults("east", TD), csrClient,
                new ProjectedTokenFile(tokenFile), store, clock, new Random(1), List.of());

        agent.reconcile();
        assertEquals(List.of(), csrClient.tokens, "no token projected yet: nothing is sent");
        assertEquals(1, agent.failures());
        assertTrue(store.read().isEmpty());

        Files.writeString(tokenFile, "token-1\n");
        clock.advance(Duration.ofMinutes(1));
        agent.reconcile();
        assertTrue(store.read().isPresent());
        // kubelet rotates the token; the next exchange (a trust-bundle refresh) carries the new one.
        Files.writeString(tokenFile, "token-2\n");
        clock.advance(Duration.ofMinutes(11));
        agent.reconcile();
        assertEquals(List.of("token-1", "token-2"), csrClient.tokens);
        assertEquals(0, agent.failures());
    }

    @Test
    void aRefusedTokenLeavesTheInstalledMaterialAloneAndIsRetried() {
        CsrAgent agent = new CsrAgent(AgentSettings.defaults("east", TD), csrClient, () -> "not-the-agents", store,
                clock, new Random(1), List.of());
        agent.reconcile();
        assertTrue(store.read().isEmpty());
        assertEquals(1, agent.failures());
        assertEquals(0, issued());
    }

    private static Set<String> visibleNames(Path directory) throws Exception {
        try (var entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }
}
