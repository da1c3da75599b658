package io.meshfed.pki.authn;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import io.meshfed.pki.signing.CallerAuthenticator;
import io.meshfed.pki.signing.Rejection;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.store.ClusterStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * Authenticates a CSR agent the way istiod authenticates its own CSR callers (istio
 * {@code security/pkg/server/ca/authenticate/kubeauth}): the agent sends a projected service-account token, and the
 * API server of the cluster the request names says, through a TokenReview with {@code spec.audiences} = the PKI's
 * audience, whether it signed that token and for whom. meshfed asks with the credentials it holds for that cluster
 * (its registration), so a token minted by any other cluster's API server is unknown there. Required, one rule per
 * step: the cluster has API access ({@code UNAUTHENTICATED}); the token authenticates ({@code UNAUTHENTICATED}, or
 * {@code WRONG_AUDIENCE} when the API server says it is for another audience); the audience is among
 * {@code status.audiences} ({@code WRONG_AUDIENCE}); the username is the CSR agent's service account
 * ({@code WRONG_IDENTITY}).
 *
 * <p>Positive answers are cached per (cluster registration, token digest) until the token's own {@code exp} or
 * {@code maxCacheTtl}, whichever is earlier, so an agent's renewals and refreshes cost one TokenReview per token
 * and cluster; a revoked token (deleted service account) stays accepted at most {@code maxCacheTtl}. Negative
 * answers are never cached. Thread-safe.
 */
public final class TokenReviewAuthenticator implements CallerAuthenticator {
    /** The audience CSR agents request their projected token for, unless configured otherwise. */
    public static final String DEFAULT_AUDIENCE = "meshfed-pki";
    public static final Duration DEFAULT_MAX_CACHE_TTL = Duration.ofMinutes(5);
    private static final int CACHE_ENTRIES = 4096;
    private static final int MAX_ERROR_CHARS = 300;
    /**
     * How kube-apiserver's service-account authenticator words a valid token for other audiences ("token audiences
     * [...] is invalid for the target audiences [...]"); it reports such a token as not authenticated, so this text is
     * the only way to tell it from a forged one.
     */
    static final String KUBERNETES_AUDIENCE_ERROR = "is invalid for the target audiences";

    private final ClusterStore clusters;
    private final TokenReviewer reviewer;
    private final String audience;
    private final ServiceAccountName agent;
    private final Clock clock;
    private final Duration maxCacheTtl;
    private final ReviewCache cache = new ReviewCache(CACHE_ENTRIES);
    private final LongAdder reviews = new LongAdder();

    /**
     * @param clusters where meshfed's credentials for each cluster are kept
     * @param audience the audience agents' tokens must be issued for
     * @param agent the only service account whose tokens may ask for a cluster's intermediate
     * @param maxCacheTtl the longest a positive answer is remembered; zero disables the cache
     */
    public TokenReviewAuthenticator(ClusterStore clusters, TokenReviewer reviewer, String audience,
            ServiceAccountName agent, Clock clock, Duration maxCacheTtl) {
        if (audience == null || audience.isBlank()) {
            throw new IllegalArgumentException("the PKI's token audience must not be empty");
        }
        if (maxCacheTtl.isNegative()) {
            throw new IllegalArgumentException("maxCacheTtl must not be negative, got " + maxCacheTtl);
        }
        this.clusters = Objects.requireNonNull(clusters, "clusters");
        this.reviewer = Objects.requireNonNull(reviewer, "reviewer");
        this.audience = audience;
        this.agent = Objects.requireNonNull(agent, "agent");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxCacheTtl = maxCacheTtl;
    }

    @Override
    public Authentication authenticate(MeshCluster cluster, String token) {
        if (!cluster.hasApiAccess()) {
            return refused(RejectionReason.UNAUTHENTICATED, "cluster '" + cluster.name() + "' was registered "
                    + "without API access (apiAccess: none), so no API server can vouch for its CSR agent's token; "
                    + "register it with credentials");
        }
        String digest = Certificates.sha256(token.getBytes(StandardCharsets.UTF_8));
        Instant now = clock.instant();
        if (cache.holds(cluster, digest, now)) {
            return new Authenticated(agent.username());
        }
        ClusterCredentials credentials = clusters.credentials(cluster.name()).orElseThrow(() ->
                new AuthenticationUnavailableException("meshfed holds no readable credentials for cluster "
                        + cluster.name() + " (Secret " + cluster.apiServer().credentialsSecret() + "), so it cannot "
                        + "ask its API server to review the token; re-register the cluster", null));
        reviews.increment();
        TokenReviewer.Answer answer = reviewer.review(cluster, credentials, token, audience);
        Authentication verdict = judge(cluster, answer);
        if (verdict instanceof Authenticated) {
            Instant until = now.plus(maxCacheTtl);
            Optional<Instant> expiry = JwtExpiry.of(token);
            if (expiry.isPresent() && expiry.get().isBefore(until)) {
                until = expiry.get();
            }
            if (now.isBefore(until)) {
                cache.remember(cluster, digest, now, until);
            }
        }
        return verdict;
    }

    private Authentication judge(MeshCluster cluster, TokenReviewer.Answer answer) {
        String server = "the API server of cluster '" + cluster.name() + "'";
        if (!answer.authenticated()) {
            String error = answer.error() == null ? "" : answer.error();
            if (error.contains(KUBERNETES_AUDIENCE_ERROR)) {
                return refused(RejectionReason.WRONG_AUDIENCE, server + " says the token is not for audience '"
                        + audience + "': " + clip(error));
            }
            return refused(RejectionReason.UNAUTHENTICATED, server + " did not authenticate the token"
                    + (error.isEmpty() ? "" : ": " + clip(error)));
        }
        if (!answer.audiences().contains(audience)) {
            return refused(RejectionReason.WRONG_AUDIENCE, server + " authenticated the token for audiences "
                    + answer.audiences() + ", not for '" + audience + "'");
        }
        if (!agent.username().equals(answer.username())) {
            return refused(RejectionReason.WRONG_IDENTITY, "the token belongs to "
                    + clip(String.valueOf(answer.username())) + "; only the CSR agent's service account " + agent
                    + " may ask for the intermediate of cluster '" + cluster.name() + "'");
        }
        return new Authenticated(answer.username());
    }

    /** TokenReviews sent so far (cache misses that reached an API server). */
    public long reviewsSent() {
        return reviews.sum();
    }

    public String audience() {
        return audience;
    }

    private static Refused refused(RejectionReason reason, String message) {
        return new Refused(Rejection.of(reason, message));
    }

    private static String clip(String text) {
        return text.length() > MAX_ERROR_CHARS ? text.substring(0, MAX_ERROR_CHARS) + "..." : text;
    }
}
