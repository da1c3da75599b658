package io.meshfed.pki.signing;

/** What the signing service answers: exactly one of the two reply events. */
public sealed interface SigningOutcome {

    record Signed(CsrSigned data, boolean replayed) implements SigningOutcome {
    }

    record Rejected(CsrRejected data) implements SigningOutcome {
    }
}
