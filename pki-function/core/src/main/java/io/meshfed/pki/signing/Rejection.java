package io.meshfed.pki.signing;

/** One typed reason a CSR was not signed, with a message for humans naming what is wrong. */
public record Rejection(RejectionReason reason, String message) {

    public static Rejection of(RejectionReason reason, String message) {
        return new Rejection(reason, message);
    }
}
