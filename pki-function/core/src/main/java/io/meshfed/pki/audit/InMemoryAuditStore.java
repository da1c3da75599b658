package io.meshfed.pki.audit;

import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.signing.AuditStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Audit kept in memory: for tests, benchmarks and throwaway local runs. Keeps every issuance and the most recent
 * rejections per cluster. Thread-safe.
 */
public final class InMemoryAuditStore implements AuditStore {
    private final int rejectionsKept;
    private final Map<String, AuditRecord> issued = new HashMap<>();
    private final List<AuditRecord> records = new ArrayList<>();

    public InMemoryAuditStore() {
        this(DEFAULT_REJECTIONS_KEPT);
    }

    public InMemoryAuditStore(int rejectionsKept) {
        this.rejectionsKept = AuditBounds.checkKept(rejectionsKept);
    }

    @Override
    public synchronized Optional<AuditRecord> findIssued(String requestId) {
        return Optional.ofNullable(issued.get(requestId));
    }

    @Override
    public synchronized AuditRecord recordIssued(AuditRecord record) {
        AuditRecord earlier = issued.putIfAbsent(record.requestId(), record);
        if (earlier != null) {
            return earlier;
        }
        records.add(record);
        return record;
    }

    @Override
    public synchronized void recordRejected(AuditRecord record) {
        records.add(record);
        List<AuditRecord> ofCluster = records.stream().filter(r -> r.outcome() == AuditRecord.Outcome.REJECTED
                && record.cluster().equals(r.cluster())).toList();
        for (int i = 0; i < ofCluster.size() - rejectionsKept; i++) {
            records.remove(ofCluster.get(i));
        }
    }

    @Override
    public synchronized List<AuditRecord> list() {
        return List.copyOf(records);
    }
}
