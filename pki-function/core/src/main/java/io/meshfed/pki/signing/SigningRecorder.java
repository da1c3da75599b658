package io.meshfed.pki.signing;

import java.time.Instant;

/**
 * What the signing service tells whoever watches it, beside its own {@link SigningMetrics}: the PKI function
 * exports these as {@code meshfed_csr_signed_total}, {@code meshfed_csr_rejected_total} and the intermediates'
 * {@code meshfed_certificate_expiry_timestamp_seconds} (docs/observability.md). Implementations are thread-safe and
 * cheap; they are called inside the signing service's per-request lock.
 */
public interface SigningRecorder {
    /** Records nothing. */
    SigningRecorder NONE = new SigningRecorder() {
        @Override
        public void signed(String cluster, CsrPurpose purpose, Instant notAfter, boolean replay) {
        }

        @Override
        public void rejected(RejectionReason reason) {
        }
    };

    /**
     * A certificate for {@code cluster} was answered: newly issued, or (replay) the one issued earlier for the same
     * request, which is what an agent holds while it refreshes its trust bundle.
     */
    void signed(String cluster, CsrPurpose purpose, Instant notAfter, boolean replay);

    /** A request was refused for {@code reason}, whoever sent it. */
    void rejected(RejectionReason reason);
}
