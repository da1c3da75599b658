package io.meshfed.pki.signing;

/**
 * A caller's credential could not be checked right now: the claimed cluster's API server cannot be reached, answers
 * with an error, or refuses meshfed's own credentials for it. Not a verdict on the caller: the request fails
 * (HTTP 5xx) and is retried by Knative or the agent's backoff. Messages name the cluster and the problem, never the
 * caller's token.
 */
public final class AuthenticationUnavailableException extends RuntimeException {
    public AuthenticationUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
