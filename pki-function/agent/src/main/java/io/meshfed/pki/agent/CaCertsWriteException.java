package io.meshfed.pki.agent;

/** The CA material could not be written; the previous material is still in place. Retrying may help. */
public class CaCertsWriteException extends RuntimeException {
    public CaCertsWriteException(String message) {
        super(message);
    }
}
