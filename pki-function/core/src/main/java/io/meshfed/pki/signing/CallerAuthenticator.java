package io.meshfed.pki.signing;

import io.meshfed.model.MeshCluster;

/**
 * Decides whether the sender of a {@code csr.submitted} is the CSR agent of the cluster it names, from a credential
 * that someone other than the sender verifies (the cluster's own API server, through a TokenReview). Runs before
 * every other check: nothing the sender wrote is looked at until it is known who sent it.
 *
 * <p>Implementations are thread-safe.
 */
public interface CallerAuthenticator {

    /**
     * @param cluster the registered cluster the request names
     * @param token the credential the request carries, never blank; never logged or stored
     * @throws AuthenticationUnavailableException when the credential cannot be checked now (the cluster's API server
     *     is unreachable, refuses meshfed's own credentials, or answers with an error): retryable, not a rejection
     */
    Authentication authenticate(MeshCluster cluster, String token);

    /** The answer: who the caller is, or why it was not believed. */
    sealed interface Authentication {
    }

    /** @param identity who the caller was proven to be, e.g. {@code system:serviceaccount:istio-system:meshfed-csr-agent} */
    record Authenticated(String identity) implements Authentication {
    }

    /** @param rejection one of the authentication reasons ({@link RejectionReason#UNAUTHENTICATED}, ...) */
    record Refused(Rejection rejection) implements Authentication {
    }
}
