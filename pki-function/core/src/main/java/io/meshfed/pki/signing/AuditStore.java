package io.meshfed.pki.signing;

import java.util.List;
import java.util.Optional;

/**
 * The audit trail of the signing function, and the memory that makes {@code csr.submitted} replays safe.
 * Implementations are thread-safe; {@link #recordIssued} is first-writer-wins per request id, also across
 * processes where the backing store allows it (Kubernetes create conflicts).
 */
public interface AuditStore {

    /** The issuance recorded for {@code requestId}, if any. */
    Optional<AuditRecord> findIssued(String requestId);

    /**
     * Records an issuance. If another issuance for the same request id is already stored, nothing is written
     * and that earlier record is returned: callers must hand out the returned record's certificate.
     */
    AuditRecord recordIssued(AuditRecord record);

    void recordRejected(AuditRecord record);

    /** Every record, oldest first. */
    List<AuditRecord> list();
}
