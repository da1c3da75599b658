package io.meshfed.pki.testing;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.authn.TokenReviewer;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hand-written {@link TokenReviewer} test double: answers a review from a table of tokens, whatever the cluster;
 * a token not in the table is not authenticated, as an API server answers a token it did not sign. Can be made
 * unreachable. Counts the reviews it answered. Thread-safe.
 */
public final class ScriptedTokenReviewer implements TokenReviewer {
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final AtomicInteger reviews = new AtomicInteger();
    private volatile boolean unreachable;

    /** Answers {@code token}, reviewed for any audience, with {@code answer}. */
    public ScriptedTokenReviewer answer(String token, Answer answer) {
        answers.put(token, answer);
        return this;
    }

    /** Answers {@code token} as the API server answers a valid token of {@code username} for {@code audience}. */
    public ScriptedTokenReviewer accept(String token, String username, String audience) {
        return answer(token, new Answer(true, username, List.of(audience), null));
    }

    public void unreachable(boolean value) {
        unreachable = value;
    }

    public int reviews() {
        return reviews.get();
    }

    @Override
    public Answer review(MeshCluster cluster, ClusterCredentials credentials, String token, String audience) {
        if (unreachable) {
            throw new AuthenticationUnavailableException("cannot reach the API server of cluster " + cluster.name()
                    + " (simulated)", null);
        }
        reviews.incrementAndGet();
        return answers.getOrDefault(token, new Answer(false, null, List.of(), "[invalid bearer token]"));
    }
}
