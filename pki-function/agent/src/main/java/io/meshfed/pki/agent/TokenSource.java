package io.meshfed.pki.agent;

/**
 * Where the agent gets the credential it proves its identity with: its projected service-account token, for the
 * PKI's audience. Asked before every request, because the token is short-lived and rotated.
 */
@FunctionalInterface
public interface TokenSource {

    /**
     * The token to send now; never logged.
     *
     * @throws TokenUnavailableException when there is none to send (the agent retries with backoff)
     */
    String currentToken();
}
