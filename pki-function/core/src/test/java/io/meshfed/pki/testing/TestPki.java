package io.meshfed.pki.testing;

import io.meshfed.pki.audit.InMemoryAuditStore;
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.RootCa;
import io.meshfed.pki.signing.CsrChecks;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.IntermediateSigner;
import io.meshfed.pki.signing.SigningPolicy;
import io.meshfed.store.ClusterStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A complete signing service over in-memory stores, for tests: the real {@link TokenReviewAuthenticator}, whose API
 * servers are a {@link ScriptedTokenReviewer} that knows {@link #AGENT_TOKEN} as the CSR agent's token (for every
 * cluster; register clusters with {@link InMemoryClusterStore#register}, which gives them API access).
 */
public final class TestPki {
    /**
     * A token every cluster's API server in this setup authenticates as the CSR agent's, for the PKI audience. Shaped
     * and sized like a projected service-account token (an RS256 JWT of about 1 KiB, expiring in 2100), so what the
     * authenticator does per request (digest, cache lookup, reading {@code exp}) costs what it costs in production.
     */
    public static final String AGENT_TOKEN = agentToken();

    public final InMemoryClusterStore clusters = new InMemoryClusterStore();
    public final InMemoryAuditStore audit = new InMemoryAuditStore();
    public final ScriptedTokenReviewer apiServers = apiServersKnowingTheAgent();
    public final TokenReviewAuthenticator authenticator = authenticator(clusters, apiServers);
    public final AtomicReference<CaState> state;
    public final CsrSigningService service;

    public TestPki(CertificateAuthority root, SigningPolicy policy) {
        state = new AtomicReference<>(CaState.of(root));
        service = new CsrSigningService(authenticator, clusters, new CsrChecks(policy, null),
                new IntermediateSigner(null, new SecureRandom()), state::get, audit, Clock.systemUTC());
    }

    /** API servers that authenticate {@link #AGENT_TOKEN} as the CSR agent's token for the PKI audience. */
    public static ScriptedTokenReviewer apiServersKnowingTheAgent() {
        return new ScriptedTokenReviewer().accept(AGENT_TOKEN, ServiceAccountName.CSR_AGENT.username(),
                TokenReviewAuthenticator.DEFAULT_AUDIENCE);
    }

    /** The production authenticator's settings over {@code apiServers}. */
    public static TokenReviewAuthenticator authenticator(ClusterStore clusters, ScriptedTokenReviewer apiServers) {
        return new TokenReviewAuthenticator(clusters, apiServers, TokenReviewAuthenticator.DEFAULT_AUDIENCE,
                ServiceAccountName.CSR_AGENT, Clock.systemUTC(), TokenReviewAuthenticator.DEFAULT_MAX_CACHE_TTL);
    }

    private static String agentToken() {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String header = "{\"alg\":\"RS256\",\"kid\":\"" + "k".repeat(43) + "\"}";
        String payload = "{\"aud\":[\"meshfed-pki\"],\"exp\":4102444800,\"iat\":1767225600,"
                + "\"iss\":\"https://kubernetes.default.svc.cluster.local\",\"kubernetes.io\":{\"namespace\":"
                + "\"istio-system\",\"pod\":{\"name\":\"meshfed-csr-agent-7c9d8b6f5d-x2x4q\",\"uid\":"
                + "\"5b0e6a3c-2f1d-4c8e-9a7b-1d2e3f4a5b6c\"},\"serviceaccount\":{\"name\":\"meshfed-csr-agent\","
                + "\"uid\":\"0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f\"}},\"nbf\":1767225600,"
                + "\"sub\":\"system:serviceaccount:istio-system:meshfed-csr-agent\"}";
        byte[] signature = new byte[256];
        new java.util.Random(1).nextBytes(signature);
        return b64.encodeToString(header.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(payload.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(signature);
    }

    public static TestPki withRoot(KeyAlgorithm algorithm) {
        return new TestPki(root(algorithm, "meshfed test root"), SigningPolicy.defaults());
    }

    public static CertificateAuthority root(KeyAlgorithm algorithm, String name) {
        return RootCa.generate(algorithm, name, RootCa.DEFAULT_LIFETIME, Clock.systemUTC(), new SecureRandom());
    }

    /** A request of the authenticated agent, with the policy's maximum lifetime. */
    public static CsrSubmitted submitted(String cluster, String csr, String requestId) {
        return new CsrSubmitted(cluster, csr, requestId, null, AGENT_TOKEN);
    }

    /** A request of the authenticated agent. */
    public static CsrSubmitted submitted(String cluster, String csr, String requestId, Long lifetimeSeconds) {
        return new CsrSubmitted(cluster, csr, requestId, lifetimeSeconds, AGENT_TOKEN);
    }
}
