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

/** Both persistent audit stores: first issuance per request id wins, every record is listed in order. */
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
                List.of(Rejection.of(RejectionReason.CLUSTER_NOT_REGISTERED, "not registered"))));
        List<AuditRecord> all = store.list();
        assertEquals(List.of("req-1", "req-3"), all.stream().map(AuditRecord::requestId).toList());
        assertEquals(RejectionReason.CLUSTER_NOT_REGISTERED, all.get(1).reasons().get(0).reason());
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
