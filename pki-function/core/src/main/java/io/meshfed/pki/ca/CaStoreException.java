package io.meshfed.pki.ca;

/** The CA store (Kubernetes Secret or local file) could not be read or written; retrying may help. */
public class CaStoreException extends RuntimeException {
    public CaStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
