package io.meshfed.pki.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.signing.AuditStore;
import io.meshfed.pki.signing.Rejection;
import io.meshfed.pki.signing.RejectionReason;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every audit store: first issuance per request id wins, records are listed in time order, and only the most recent
 * rejections of each cluster are kept.
 */
@EnableKubernetesMockClient(crud = true)
class AuditStoresTest {
    static KubernetesClient client;

    @TempDir
    Path dir;

    private static AuditRecord issued(String time, String requestId, String serial) {
        return new AuditRecord(time, AuditRecord.Outcome.ISSUED, requestId, "east", "agent", "ab", serial,
                time, time, "cd", "chain", null);
    }

    private static void exercise(AuditStore store) {
        AuditRecord first = issued("2026-01-01T00:00:00Z", "req-1", "01");
        assertEquals(first, store.recordIssued(first));
        AuditRecord second = issued("2026-01-01T00:00:01Z", "req-1", "02");
        assertEquals("01", store.recordIssued(second).serial(), "the first issuance wins");
        assertEquals("01", store.findIssued("req-1").orElseThrow().serial());
        assertTrue(store.findIssued("req-2").isEmpty());
        store.recordRejected(new AuditRecord("2026-01-01T00:00:02Z", AuditRecord.Outcome.REJECTED, "req-3", "west",
                "agent", null, null, null, null, null, null,
                List.of(Rejection.of(RejectionReason.SUBJECT_NOT_ALLOWED, "not its trust domain"))));
        List<AuditRecord> all = store.list();
        assertEquals(List.of("req-1", "req-3"), all.stream().map(AuditRecord::requestId).toList());
        assertEquals(RejectionReason.SUBJECT_NOT_ALLOWED, all.get(1).reasons().get(0).reason());
    }

    /** With room for 3 rejections per cluster: 10 rejections of east and 2 of west leave east's last 3 and west's. */
    private static void bounded(AuditStore store) {
        store.recordIssued(issued("2026-01-01T00:00:00Z", "req-0", "01"));
        for (int i = 1; i <= 10; i++) {
            store.recordRejected(rejected("2026-01-01T00:00:" + String.format("%02d", i) + ".5Z", "east-" + i, "east"));
            if (i % 5 == 0) {
                store.recordRejected(rejected("2026-01-01T00:00:" + String.format("%02d", i) + ".7Z", "west-" + i,
                        "west"));
            }
        }
        assertEquals(List.of("req-0", "west-5", "east-8", "east-9", "east-10", "west-10"),
                store.list().stream().map(AuditRecord::requestId).toList(), "oldest first, by time");
    }

    private static AuditRecord rejected(String time, String requestId, String cluster) {
        return new AuditRecord(time, AuditRecord.Outcome.REJECTED, requestId, cluster, "agent", "ab", null, null, null,
                null, null, List.of(Rejection.of(RejectionReason.LIFETIME_TOO_LONG, "too long")));
    }

    @Test
    void rejectionsAreBoundedPerClusterInConfigMaps() {
        client.configMaps().inNamespace("bounded").delete();
        bounded(new KubernetesAuditStore(client, "bounded", 3));
        assertEquals(6, client.configMaps().inNamespace("bounded").withLabel("meshfed.io/audit").list()
                .getItems().size());
    }

    @Test
    void rejectionsAreBoundedPerClusterInFiles() {
        bounded(new FileAuditStore(dir, 3));
    }

    @Test
    void rejectionsAreBoundedPerClusterInMemory() {
        bounded(new InMemoryAuditStore(3));
    }

    @Test
    void kubernetesConfigMaps() {
        exercise(new KubernetesAuditStore(client, "meshfed"));
        assertEquals(2, client.configMaps().inNamespace("meshfed").withLabel("meshfed.io/audit").list()
                .getItems().size());
    }

    @Test
    void localFiles() {
        exercise(new FileAuditStore(dir));
        assertEquals(2, new FileAuditStore(dir).list().size(), "records survive a restart");
    }
}
