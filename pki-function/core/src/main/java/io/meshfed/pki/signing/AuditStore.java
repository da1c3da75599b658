package io.meshfed.pki.signing;

import java.util.List;
import java.util.Optional;

/**
 * The audit trail of the signing function, and the memory that makes {@code csr.submitted} replays safe.
 * Implementations are thread-safe; {@link #recordIssued} is first-writer-wins per request id, also across
 * processes where the backing store allows it (Kubernetes create conflicts).
 *
 * <p>Issuances are kept: each is a certificate meshfed handed out, and their number is bounded by what
 * authenticated agents ask for. Rejections are bounded: only authenticated callers' rejections are recorded at all,
 * and a store keeps the most recent {@code rejectionsKept} per cluster, removing older ones as it records.
 */
public interface AuditStore {
    /** How many rejection records per cluster a store keeps unless configured otherwise. */
    int DEFAULT_REJECTIONS_KEPT = 20;

    /** The issuance recorded for {@code requestId}, if any. */
    Optional<AuditRecord> findIssued(String requestId);

    /**
     * Records an issuance. If another issuance for the same request id is already stored, nothing is written
     * and that earlier record is returned: callers must hand out the returned record's certificate.
     */
    AuditRecord recordIssued(AuditRecord record);

    /**
     * Records the rejection of an authenticated caller ({@code record.cluster()} is a registered cluster's name),
     * then removes that cluster's oldest rejection records beyond the store's bound.
     */
    void recordRejected(AuditRecord record);

    /** Every record, oldest first. */
    List<AuditRecord> list();
}
