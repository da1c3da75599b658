package io.meshfed.pki.agent;

/** The PKI function could not be reached or gave no reply event; the agent retries with backoff. */
public class ManagementPlaneUnavailableException extends RuntimeException {
    public ManagementPlaneUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
