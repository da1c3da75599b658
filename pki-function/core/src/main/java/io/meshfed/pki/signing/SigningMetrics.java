package io.meshfed.pki.signing;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the signing service, all monotonic: issuances, replays, rejections per reason (including those never
 * written to the audit store) and requests that failed because a caller could not be authenticated right now.
 * Thread-safe; cheap enough for every request.
 */
public final class SigningMetrics {
    private final LongAdder signed = new LongAdder();
    private final LongAdder replayed = new LongAdder();
    private final LongAdder authenticationUnavailable = new LongAdder();
    private final Map<RejectionReason, LongAdder> rejected = new EnumMap<>(RejectionReason.class);

    public SigningMetrics() {
        for (RejectionReason reason : RejectionReason.values()) {
            rejected.put(reason, new LongAdder());
        }
    }

    void countSigned(boolean replay) {
        (replay ? replayed : signed).increment();
    }

    void countRejected(RejectionReason reason) {
        rejected.get(reason).increment();
    }

    void countAuthenticationUnavailable() {
        authenticationUnavailable.increment();
    }

    /** New certificates issued. */
    public long signed() {
        return signed.sum();
    }

    /** Requests answered with a certificate issued before. */
    public long replayed() {
        return replayed.sum();
    }

    public long rejected(RejectionReason reason) {
        return rejected.get(reason).sum();
    }

    /** Requests failed (retryable) because the claimed cluster's API server could not check the token. */
    public long authenticationUnavailable() {
        return authenticationUnavailable.sum();
    }

    /** Every counter in Prometheus text exposition format, rejections labelled by reason. */
    public String prometheusText() {
        StringBuilder out = new StringBuilder();
        out.append("# TYPE meshfed_pki_signed_total counter\nmeshfed_pki_signed_total ").append(signed()).append('\n');
        out.append("# TYPE meshfed_pki_replayed_total counter\nmeshfed_pki_replayed_total ").append(replayed())
                .append('\n');
        out.append("# TYPE meshfed_pki_authentication_unavailable_total counter\n"
                + "meshfed_pki_authentication_unavailable_total ").append(authenticationUnavailable()).append('\n');
        out.append("# TYPE meshfed_pki_rejected_total counter\n");
        for (RejectionReason reason : RejectionReason.values()) {
            out.append("meshfed_pki_rejected_total{reason=\"").append(reason.name()).append("\"} ")
                    .append(rejected(reason)).append('\n');
        }
        return out.toString();
    }
}
