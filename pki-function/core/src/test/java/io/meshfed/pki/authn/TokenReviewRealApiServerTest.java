package io.meshfed.pki.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.audit.InMemoryAuditStore;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import io.meshfed.pki.signing.CsrChecks;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.IntermediateSigner;
import io.meshfed.pki.signing.Rejection;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.pki.signing.SigningPolicy;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.InMemoryClusterStore;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.WorkloadClusterClients;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack cases on CSR signing, against two real kube-apiservers (east and west, each signing service-account
 * tokens with a key of its own; test-peers/), registered the way meshfed registers a workload cluster: URL, serving
 * CA and a token of the {@code meshfed-export-reader} ServiceAccount from knative/workload/export-reader.yaml, whose
 * RBAC must let meshfed create TokenReviews. Each refused case has its typed reason, nothing is signed and nothing is
 * written to the audit store. An expired token cannot be minted here (the API server issues nothing shorter than 10
 * minutes), so that one case alone is answered by fabric8's mock server, as a real API server answers it.
 */
class TokenReviewRealApiServerTest {
    private static final Path WORKLOAD_MANIFESTS = Path.of("../../knative/workload");
    private static final String AUDIENCE = TokenReviewAuthenticator.DEFAULT_AUDIENCE;
    private static final Duration HOUR = Duration.ofHours(1);

    private static Etcd etcd;
    private static KubeApiServer east;
    private static KubeApiServer west;

    private InMemoryClusterStore clusters;
    private InMemoryAuditStore audit;
    private TokenReviewAuthenticator authenticator;
    private CsrSigningService service;

    @TempDir
    Path dir;

    @BeforeAll
    static void startClusters() {
        etcd = Etcd.start();
        try {
            east = KubeApiServer.start("east", etcd);
            west = KubeApiServer.start("west", etcd);
            for (KubeApiServer api : List.of(east, west)) {
                api.apply(WORKLOAD_MANIFESTS.resolve("export-reader.yaml"));
            }
        } catch (RuntimeException e) {
            stopClusters();
            throw e;
        }
    }

    @AfterAll
    static void stopClusters() {
        for (AutoCloseable peer : new AutoCloseable[] {west, east, etcd}) {
            try {
                if (peer != null) {
                    peer.close();
                }
            } catch (Exception e) {
                System.err.println("stopping " + peer + ": " + e);
            }
        }
    }

    @BeforeEach
    void signingService() {
        clusters = new InMemoryClusterStore();
        register(clusters, east, meshfedToken(east));
        register(clusters, west, meshfedToken(west));
        audit = new InMemoryAuditStore();
        authenticator = new TokenReviewAuthenticator(clusters, new KubernetesTokenReviewer(
                new WorkloadClusterClients(null, Duration.ofSeconds(2), Duration.ofSeconds(10))), AUDIENCE,
                ServiceAccountName.CSR_AGENT, Clock.systemUTC(), TokenReviewAuthenticator.DEFAULT_MAX_CACHE_TTL);
        CaState ca = CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "meshfed test root"));
        service = new CsrSigningService(authenticator, clusters, new CsrChecks(SigningPolicy.defaults(), null),
                new IntermediateSigner(null, new SecureRandom()), () -> ca, audit, Clock.systemUTC());
    }

    /** What meshfed holds after registering {@code api}'s cluster: its record and a token of the export reader. */
    private static void register(InMemoryClusterStore store, KubeApiServer api, String meshfedToken) {
        register(store, api.name(), api.url(), api.caPem(), ClusterCredentials.ofToken(meshfedToken));
    }

    private static void register(InMemoryClusterStore store, String name, String url, String caPem,
            ClusterCredentials credentials) {
        store.put(new MeshCluster(name, "net-" + name, Locality.of("eu-west1"), new GatewayAddress("10.0.0.1", 15443),
                trustDomain(name), new ApiServerRef(url, caPem,
                        KubernetesClusterStore.credentialsSecretName(name, credentials))), Optional.of(credentials));
    }

    private static String meshfedToken(KubeApiServer api) {
        return api.serviceAccountToken("meshfed-system", "meshfed-export-reader", KubeApiServer.ISSUER, HOUR);
    }

    private static String trustDomain(String cluster) {
        return cluster + ".meshfed.example";
    }

    /** A token kubelet would project for the agent's Pod in {@code api}'s cluster. */
    private static String agentToken(KubeApiServer api, String audience) {
        return api.serviceAccountToken(ServiceAccountName.CSR_AGENT.namespace(), ServiceAccountName.CSR_AGENT.name(),
                audience, HOUR);
    }

    private static CsrSubmitted request(String cluster, String token) {
        return new CsrSubmitted(cluster, Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256),
                trustDomain(cluster)), "req-" + UUID.randomUUID(), null, token);
    }

    private Rejection refused(CsrSubmitted request) {
        SigningOutcome outcome = service.handle(request, "meshfed/csr-agent/" + request.cluster());
        Rejection rejection = assertInstanceOf(SigningOutcome.Rejected.class, outcome, outcome.toString()).data()
                .reasons().get(0);
        assertEquals(0, service.metrics().signed(), "nothing signed");
        assertEquals(List.of(), audit.list(), "nothing written to the audit store");
        if (request.token() != null) {
            assertFalse(rejection.message().contains(request.token()), "the answer never quotes the token");
        }
        return rejection;
    }

    @Test
    void theAgentsTokenOnItsOwnClusterGetsAnIntermediateThatOpensslVerifies() throws IOException {
        String token = agentToken(east, AUDIENCE);
        SigningOutcome outcome = service.handle(request("east", token), "meshfed/csr-agent/east");
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class, outcome, outcome.toString()).data();
        assertEquals(ServiceAccountName.CSR_AGENT.username(), audit.list().get(0).requester(),
                "the audit names the service account east's API server vouched for");

        Files.writeString(dir.resolve("root-cert.pem"), signed.trustBundle());
        Files.writeString(dir.resolve("cert-chain.pem"), signed.certChain());
        Files.writeString(dir.resolve("ca-cert.pem"), signed.certChain().substring(0,
                signed.certChain().indexOf("-----END CERTIFICATE-----") + "-----END CERTIFICATE-----\n".length()));
        OpenSsl.run(dir, "verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "ca-cert.pem")
                .assertOk();

        assertEquals(1, authenticator.reviewsSent());
        assertInstanceOf(SigningOutcome.Signed.class, service.handle(request("east", token), "agent"));
        assertEquals(1, authenticator.reviewsSent(), "the next request with the same token is answered from the cache");
    }

    @Test
    void noToken() {
        Rejection rejection = refused(request("east", null));
        assertEquals(RejectionReason.UNAUTHENTICATED, rejection.reason(), rejection.message());
        assertTrue(rejection.message().contains("no token"), rejection.message());
    }

    @Test
    void aTokenFromAnotherClustersApiServer() {
        // west's agent (or anyone with west's agent token) claims east: east's API server never signed it.
        Rejection rejection = refused(request("east", agentToken(west, AUDIENCE)));
        assertEquals(RejectionReason.UNAUTHENTICATED, rejection.reason(), rejection.message());
        assertTrue(rejection.message().contains("'east' did not authenticate the token"), rejection.message());
    }

    @Test
    void aTokenOfAnotherServiceAccount() {
        String workload = east.serviceAccountToken("demo", "echo", AUDIENCE, HOUR);
        Rejection rejection = refused(request("east", workload));
        assertEquals(RejectionReason.WRONG_IDENTITY, rejection.reason(), rejection.message());
        assertTrue(rejection.message().contains("system:serviceaccount:demo:echo"), rejection.message());
    }

    @Test
    void aTokenForAnotherAudience() {
        // The agent's own token, but the one it talks to its API server with: replayable against the PKI never.
        Rejection rejection = refused(request("east", agentToken(east, KubeApiServer.ISSUER)));
        assertEquals(RejectionReason.WRONG_AUDIENCE, rejection.reason(), rejection.message());
    }

    @Test
    void aForgedToken() {
        Rejection rejection = refused(request("east", JwtExpiryTest.jwt("{\"aud\":[\"meshfed-pki\"],\"exp\":"
                + (System.currentTimeMillis() / 1000 + 3600) + ",\"sub\":\"" + ServiceAccountName.CSR_AGENT.username()
                + "\"}")));
        assertEquals(RejectionReason.UNAUTHENTICATED, rejection.reason(), rejection.message());
    }

    @Test
    void anExpiredToken() {
        // The one stand-in: a real API server will not mint a token that expires within 10 minutes.
        MockWebServer web = new MockWebServer();
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        KubernetesMockServer expiring = new KubernetesMockServer(new Context(), web, expectations,
                new KubernetesMixedDispatcher(expectations), true, new VersionInfo.Builder().withMajor("1")
                        .withMinor("36").build());
        expiring.init(java.net.InetAddress.getLoopbackAddress(), 0);
        try {
            expiring.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(201, r -> {
                TokenReview asked = io.fabric8.kubernetes.client.utils.Serialization.unmarshal(r.getUtf8Body(),
                        TokenReview.class);
                return new TokenReviewBuilder().withSpec(asked.getSpec()).withNewStatus().withAuthenticated(false)
                        .withError("[invalid bearer token, service account token has expired]").endStatus().build();
            }).always();
            register(clusters, "north", "https://localhost:" + expiring.getPort(),
                    Files.readString(Path.of(web.getSelfSignedCertificate().certificatePath())),
                    ClusterCredentials.ofToken("meshfed-reader"));
            Rejection rejection = refused(request("north", JwtExpiryTest.jwt("{\"aud\":[\"meshfed-pki\"],\"exp\":"
                    + (System.currentTimeMillis() / 1000 - 60) + "}")));
            assertEquals(RejectionReason.UNAUTHENTICATED, rejection.reason(), rejection.message());
            assertTrue(rejection.message().contains("expired"), rejection.message());
        } catch (IOException e) {
            throw new AssertionError(e);
        } finally {
            expiring.destroy();
        }
    }

    @Test
    void anUnreachableApiServerIsARetryableErrorNotARejection() {
        register(clusters, "south", "https://127.0.0.1:" + PeerProcess.freePort(), east.caPem(),
                ClusterCredentials.ofToken(meshfedToken(east)));
        AuthenticationUnavailableException e = assertThrows(AuthenticationUnavailableException.class,
                () -> service.handle(request("south", agentToken(east, AUDIENCE)), "agent"));
        assertTrue(e.getMessage().contains("cannot reach the API server of cluster south"), e.getMessage());
        assertEquals(List.of(), audit.list());
        assertEquals(1, service.metrics().authenticationUnavailable());
    }

    @Test
    void credentialsWithoutTheRightToReviewTokensAreNamedAsTheProblem() {
        // meshfed registered with a token whose ServiceAccount has no RBAC at all (an old export-reader.yaml).
        String unprivileged = east.serviceAccountToken("meshfed-system", "no-rbac", KubeApiServer.ISSUER, HOUR);
        register(clusters, east, unprivileged);
        AuthenticationUnavailableException e = assertThrows(AuthenticationUnavailableException.class,
                () -> service.handle(request("east", agentToken(east, AUDIENCE)), "agent"));
        assertTrue(e.getMessage().contains("403") && e.getMessage().contains("export-reader.yaml"), e.getMessage());
        assertEquals(List.of(), audit.list());
    }
}
