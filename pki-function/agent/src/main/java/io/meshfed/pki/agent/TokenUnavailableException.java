package io.meshfed.pki.agent;

/** The agent has no token to prove its identity with right now; it retries with backoff. */
public final class TokenUnavailableException extends RuntimeException {
    public TokenUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
