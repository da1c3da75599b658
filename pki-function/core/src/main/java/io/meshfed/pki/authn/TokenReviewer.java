package io.meshfed.pki.authn;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import java.util.List;

/**
 * Asks a workload cluster's API server whether a token is valid: a {@code TokenReview}
 * ({@code authentication.k8s.io/v1}) created with meshfed's credentials for that cluster. The only remote I/O of
 * authentication. Implementations are thread-safe and bound every call by a timeout.
 */
public interface TokenReviewer {

    /**
     * What the API server answered ({@code status} of the TokenReview).
     *
     * @param authenticated {@code status.authenticated}
     * @param username {@code status.user.username}, null when not authenticated
     * @param audiences {@code status.audiences}: those of the requested audiences the token is valid for
     * @param error {@code status.error}, null when none; the API server's words, never containing the token
     */
    record Answer(boolean authenticated, String username, List<String> audiences, String error) {
        public Answer {
            audiences = audiences == null ? List.of() : List.copyOf(audiences);
        }
    }

    /**
     * @param cluster a registered cluster with API access
     * @param credentials meshfed's credentials for it; never logged
     * @param token the token to review; never logged
     * @param audience the one audience the token must be valid for ({@code spec.audiences})
     * @throws AuthenticationUnavailableException when no answer came: unreachable, timeout, TLS failure, or an HTTP
     *     error (meshfed's credentials refused, not allowed to create TokenReviews, server error)
     */
    Answer review(MeshCluster cluster, ClusterCredentials credentials, String token, String audience);
}
