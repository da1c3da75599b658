package io.meshfed.pki.ca;

/**
 * CA material or configuration that meshfed refuses to use: unparseable PEM, a key that does not match its
 * certificate, a chain that does not link up, a certificate that cannot sign intermediates. The message
 * names what is wrong and never contains key material.
 */
public class InvalidCaMaterialException extends RuntimeException {
    public InvalidCaMaterialException(String message) {
        super(message);
    }

    public InvalidCaMaterialException(String message, Throwable cause) {
        super(message, cause);
    }
}
