package io.meshfed.pki.authn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.MeshCluster;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import io.meshfed.pki.signing.CallerAuthenticator;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.InMemoryClusterStore;
import io.meshfed.pki.testing.ScriptedTokenReviewer;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.testsupport.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The authenticator's rules and its cache, over a scripted API server (the real one:
 * {@code TokenReviewRealApiServerTest}); and what the signing service does with each outcome.
 */
class TokenReviewAuthenticatorTest {
    private static final String TD = "east.example.org";
    private static final String AGENT = ServiceAccountName.CSR_AGENT.username();
    private static final String AUDIENCE = TokenReviewAuthenticator.DEFAULT_AUDIENCE;

    private final InMemoryClusterStore clusters = new InMemoryClusterStore().register("east", TD)
            .register("west", "west.example.org");
    private final ScriptedTokenReviewer apiServers = new ScriptedTokenReviewer();
    private final MutableClock clock = new MutableClock(Instant.parse("2030-01-01T00:00:00Z"));
    private final TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(clusters, apiServers,
            AUDIENCE, ServiceAccountName.CSR_AGENT, clock, Duration.ofMinutes(5));

    private MeshCluster cluster(String name) {
        return clusters.get(name).orElseThrow().cluster();
    }

    private String tokenExpiringIn(Duration validity) {
        return JwtExpiryTest.jwt("{\"aud\":[\"meshfed-pki\"],\"exp\":" + clock.instant().plus(validity).getEpochSecond()
                + ",\"sub\":\"" + AGENT + "\"}");
    }

    private RejectionReason refusal(String cluster, String token) {
        CallerAuthenticator.Authentication answer = authenticator.authenticate(cluster(cluster), token);
        return assertInstanceOf(CallerAuthenticator.Refused.class, answer, answer.toString()).rejection().reason();
    }

    @Test
    void acceptsTheAgentsTokenForTheAudienceAndSaysWhoItIs() {
        apiServers.accept("t", AGENT, AUDIENCE);
        assertEquals(new CallerAuthenticator.Authenticated(AGENT), authenticator.authenticate(cluster("east"), "t"));
    }

    @Test
    void refusesEachFailureWithItsOwnReason() {
        assertEquals(RejectionReason.UNAUTHENTICATED, refusal("east", "unknown-to-the-api-server"));
        apiServers.answer("expired", new TokenReviewer.Answer(false, null, List.of(),
                "[invalid bearer token, service account token has expired]"));
        assertEquals(RejectionReason.UNAUTHENTICATED, refusal("east", "expired"));
        apiServers.answer("other-audience", new TokenReviewer.Answer(false, null, List.of(), "[invalid bearer token, "
                + "token audiences [\"https://kubernetes.default.svc\"] is invalid for the target audiences "
                + "[\"meshfed-pki\"]]"));
        assertEquals(RejectionReason.WRONG_AUDIENCE, refusal("east", "other-audience"));
        // An API server that authenticates without checking audiences (status.audiences lacks ours).
        apiServers.answer("audience-unaware", new TokenReviewer.Answer(true, AGENT, List.of("istio-ca"), null));
        assertEquals(RejectionReason.WRONG_AUDIENCE, refusal("east", "audience-unaware"));
        apiServers.answer("no-audiences", new TokenReviewer.Answer(true, AGENT, List.of(), null));
        assertEquals(RejectionReason.WRONG_AUDIENCE, refusal("east", "no-audiences"));
        apiServers.accept("workload", "system:serviceaccount:demo:echo", AUDIENCE);
        assertEquals(RejectionReason.WRONG_IDENTITY, refusal("east", "workload"));
        apiServers.accept("same-name-other-namespace", "system:serviceaccount:default:meshfed-csr-agent", AUDIENCE);
        assertEquals(RejectionReason.WRONG_IDENTITY, refusal("east", "same-name-other-namespace"));
    }

    @Test
    void aClusterRegisteredWithoutApiAccessCannotVouchForAnyone() {
        clusters.put(InMemoryClusterStore.cluster("dark", "dark.example.org"), Optional.empty());
        apiServers.accept("t", AGENT, AUDIENCE);
        assertEquals(RejectionReason.UNAUTHENTICATED, refusal("dark", "t"));
        assertEquals(0, apiServers.reviews(), "nobody was asked");
    }

    @Test
    void anAnswerIsRememberedUntilTheTokenExpires() {
        String token = tokenExpiringIn(Duration.ofSeconds(90));
        apiServers.accept(token, AGENT, AUDIENCE);
        authenticator.authenticate(cluster("east"), token);
        clock.advance(Duration.ofSeconds(89));
        authenticator.authenticate(cluster("east"), token);
        assertEquals(1, apiServers.reviews(), "the second request was answered from the cache");

        clock.advance(Duration.ofSeconds(1));
        apiServers.answer(token, new TokenReviewer.Answer(false, null, List.of(), "token has expired"));
        assertEquals(RejectionReason.UNAUTHENTICATED, refusal("east", token));
        assertEquals(2, apiServers.reviews(), "at its exp the token is reviewed again");
    }

    @Test
    void anAnswerIsRememberedAtMostTheMaximumHowEverLongTheTokenLives() {
        String token = tokenExpiringIn(Duration.ofHours(1));
        apiServers.accept(token, AGENT, AUDIENCE);
        authenticator.authenticate(cluster("east"), token);
        clock.advance(Duration.ofMinutes(5).minusSeconds(1));
        authenticator.authenticate(cluster("east"), token);
        assertEquals(1, apiServers.reviews());
        clock.advance(Duration.ofSeconds(1));
        authenticator.authenticate(cluster("east"), token);
        assertEquals(2, apiServers.reviews(), "after 5 minutes the API server is asked again (revocation)");
    }

    @Test
    void refusalsAreNeverRemembered() {
        for (int i = 0; i < 3; i++) {
            assertEquals(RejectionReason.UNAUTHENTICATED, refusal("east", "bad"));
        }
        assertEquals(3, apiServers.reviews());
        apiServers.accept("bad", AGENT, AUDIENCE);
        assertInstanceOf(CallerAuthenticator.Authenticated.class, authenticator.authenticate(cluster("east"), "bad"),
                "a token that turns valid is accepted at once");
    }

    @Test
    void anAnswerHoldsForOneClusterRegistrationOnly() {
        apiServers.accept("t", AGENT, AUDIENCE);
        authenticator.authenticate(cluster("east"), "t");
        authenticator.authenticate(cluster("west"), "t");
        assertEquals(2, apiServers.reviews(), "west's API server is asked about west's requests");

        MeshCluster moved = InMemoryClusterStore.clusterWithApiAccess("east", "east2.example.org");
        clusters.put(moved, Optional.of(InMemoryClusterStore.CREDENTIALS));
        authenticator.authenticate(cluster("east"), "t");
        assertEquals(3, apiServers.reviews(), "a re-registered cluster is asked again");
    }

    @Test
    void anUnreachableApiServerIsAnErrorThatNamesTheClusterAndNotTheToken() {
        apiServers.unreachable(true);
        AuthenticationUnavailableException e = assertThrows(AuthenticationUnavailableException.class,
                () -> authenticator.authenticate(cluster("east"), "secret-token-value"));
        assertTrue(e.getMessage().contains("east"), e.getMessage());
        assertFalse(e.getMessage().contains("secret-token-value"));
    }

    @Test
    void missingCredentialsAreAnErrorNotARejection() {
        clusters.put(cluster("east"), Optional.empty());
        AuthenticationUnavailableException e = assertThrows(AuthenticationUnavailableException.class,
                () -> authenticator.authenticate(cluster("east"), "t"));
        assertTrue(e.getMessage().contains("no readable credentials for cluster east"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------------------------
    // what the signing service makes of it

    @Test
    void theServiceRefusesBeforeLookingAtTheCsrAndStoresNothing() {
        TestPki pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", TD);
        pki.apiServers.accept("workload", "system:serviceaccount:demo:echo", AUDIENCE);
        String csr = Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD);
        for (CsrSubmitted request : List.of(
                new CsrSubmitted("east", csr, "r1", null, null),
                new CsrSubmitted("east", csr, "r2", null, "  "),
                new CsrSubmitted("east", csr, "r3", null, "x".repeat(20_000)),
                new CsrSubmitted("east", csr, "r4", null, "forged"),
                new CsrSubmitted("east", csr, "r5", null, "workload"))) {
            SigningOutcome.Rejected rejected = assertInstanceOf(SigningOutcome.Rejected.class,
                    pki.service.handle(request, "meshfed/csr-agent/east"));
            assertEquals(List.of(request.token() != null && request.token().equals("workload")
                    ? RejectionReason.WRONG_IDENTITY : RejectionReason.UNAUTHENTICATED),
                    rejected.data().reasons().stream().map(r -> r.reason()).toList(), request.toString());
        }
        assertEquals(List.of(), pki.audit.list(), "nothing signed, nothing stored");
        assertEquals(4, pki.service.metrics().rejected(RejectionReason.UNAUTHENTICATED));
        assertEquals(1, pki.service.metrics().rejected(RejectionReason.WRONG_IDENTITY));
        assertEquals(0, pki.service.metrics().signed());
    }

    @Test
    void theServiceFailsRetryablyWhenTheApiServerIsUnreachable() {
        TestPki pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", TD);
        pki.apiServers.unreachable(true);
        String csr = Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD);
        assertThrows(AuthenticationUnavailableException.class,
                () -> pki.service.handle(TestPki.submitted("east", csr, "r1"), "meshfed/csr-agent/east"));
        assertEquals(List.of(), pki.audit.list());
        assertEquals(1, pki.service.metrics().authenticationUnavailable());

        pki.apiServers.unreachable(false);
        assertInstanceOf(SigningOutcome.Signed.class,
                pki.service.handle(TestPki.submitted("east", csr, "r1"), "meshfed/csr-agent/east"),
                "the retry of the same request succeeds");
        assertEquals(1, pki.service.metrics().signed());
    }

    @Test
    void theTokenIsNeverPrinted() {
        CsrSubmitted request = new CsrSubmitted("east", "csr", "r", null, "secret-token-value");
        assertFalse(request.toString().contains("secret-token-value"), request.toString());
    }
}
