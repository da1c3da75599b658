package io.meshfed.store;

import static io.meshfed.store.StoreFixtures.cluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.CaStatus;
import io.meshfed.store.status.ClusterStatusWriter.CatalogStatus;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MeshCluster status a user reads with {@code kubectl get meshclusters}, on a real kube-apiserver with the CRD and
 * RBAC of knative/manifests: registration, export and the PKI each write their own conditions as their own
 * ServiceAccount, none removes another's, a spec update keeps them, and kubectl prints them in the CRD's columns.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class MeshClusterStatusRealApiServerTest {
    static final String NS = ManagementCluster.NAMESPACE;
    static final Instant NOW = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);

    ManagementCluster management;
    KubernetesClient registrationClient;
    KubernetesClient exportClient;
    KubernetesClient pkiClient;
    KubernetesClient bridgeClient;
    KubernetesClusterStore clusters;

    @TempDir
    Path kubectlDir;

    @BeforeAll
    void start() {
        management = new ManagementCluster();
        registrationClient = management.clientOf("meshfed-registration");
        exportClient = management.clientOf("meshfed-export");
        pkiClient = management.clientOf("meshfed-pki");
        bridgeClient = management.clientOf("meshfed-xds-bridge");
        clusters = new KubernetesClusterStore(registrationClient, NS);
    }

    @AfterEach
    void clear() {
        management.clear();
    }

    @AfterAll
    void stop() {
        registrationClient.close();
        exportClient.close();
        pkiClient.close();
        bridgeClient.close();
        management.close();
    }

    private static ClusterStatusWriter writer(KubernetesClient client, String manager, Instant at) {
        return new KubernetesClusterStatusWriter(client, NS, manager, Clock.fixed(at, ZoneOffset.UTC));
    }

    private static Report registered(ConditionStatus api, String apiReason) {
        return Report.of(new Condition(ClusterStatusWriter.REGISTERED, ConditionStatus.TRUE, "Registered", "spec accepted"),
                new Condition(ClusterStatusWriter.API_REACHABLE, api, apiReason, "GET /version"));
    }

    private void writeAll(Instant at) {
        assertTrue(writer(registrationClient, "meshfed-registration", at)
                .report("east", registered(ConditionStatus.TRUE, "Reachable")));
        assertTrue(writer(exportClient, "meshfed-export", at).report("east", new Report(
                List.of(new Condition(ClusterStatusWriter.CATALOG_SYNCED, ConditionStatus.TRUE, "Synced", "3 services")), List.of(),
                Optional.of(new CatalogStatus(at.minus(Duration.ofMinutes(7)), 3)), Optional.empty())));
        assertTrue(writer(pkiClient, "meshfed-pki", at).report("east", new Report(
                List.of(new Condition(ClusterStatusWriter.CA_ISSUED, ConditionStatus.TRUE, "Signed", "intermediate CA")),
                List.of(), Optional.empty(), Optional.of(new CaStatus(Instant.parse("2027-12-05T08:00:00Z"), "1f2e")))));
        assertTrue(writer(bridgeClient, "meshfed-xds-bridge", at).report("east", Report.of(new Condition(
                ClusterStatusWriter.ISTIOD_CONNECTED, ConditionStatus.TRUE, "StreamOpen", "an istiod holds a stream"))));
    }

    @Test
    void kubectlGetMeshclustersPrintsWhatEachFunctionReported() throws Exception {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        writeAll(NOW);

        Map<String, String> row = kubectlRow("east", List.of());
        assertEquals("net-east", row.get("NETWORK"));
        assertEquals("us-east1", row.get("REGION"));
        assertEquals("True", row.get("REGISTERED"));
        assertEquals("True", row.get("API"));
        assertEquals("True", row.get("CATALOG"));
        assertTrue(row.get("SYNCED").matches("7m\\d*s?|[78]m"), "age of the last sync, 7 minutes ago: " + row);
        assertEquals("True", row.get("CA"));
        assertEquals("2027-12-05T08:00:00Z", row.get("CA-EXPIRES"));
        assertEquals("True", row.get("ISTIOD"));
        assertFalse(row.containsKey("GATEWAY"), "gateway and trust domain only with -o wide: " + row);
        Map<String, String> wide = kubectlRow("east", List.of("-o", "wide"));
        assertEquals("10.0.0.1", wide.get("GATEWAY"));
        assertEquals("east.example.org", wide.get("TRUSTDOMAIN"));
    }

    @Test
    void eachWriterKeepsItsOwnConditionsAndASpecUpdateKeepsThemAll() throws Exception {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        writeAll(NOW);
        // registration again, later, with the API unreachable: its conditions change, export's and the PKI's stay
        Instant later = NOW.plus(Duration.ofMinutes(1));
        writer(registrationClient, "meshfed-registration", later)
                .report("east", registered(ConditionStatus.FALSE, "Unreachable"));
        Map<String, Map<?, ?>> conditions = conditions();
        assertEquals(List.of("ApiReachable", "CAIssued", "CatalogSynced", "IstiodConnected", "Registered"),
                conditions.keySet().stream().sorted().toList());
        assertEquals("False", conditions.get("ApiReachable").get("status"));
        assertEquals(later.toString(), conditions.get("ApiReachable").get("lastTransitionTime"), "status changed");
        assertEquals(NOW.toString(), conditions.get("Registered").get("lastTransitionTime"), "status unchanged");
        assertEquals("Unreachable", conditions.get("ApiReachable").get("reason"));

        // a spec change through the store (the main resource) leaves status alone
        clusters.put(cluster("east", "10.0.0.2"), Optional.of(StoreFixtures.TOKEN));
        assertEquals(5, conditions().size());
        assertEquals("2027-12-05T08:00:00Z", status().get("ca") instanceof Map<?, ?> ca ? ca.get("notAfter") : null);
        assertEquals("True", conditions().get("CatalogSynced").get("status"));
    }

    @Test
    void aWriterKeepsWhatItNamesAsKeptAndDropsWhatItNamesNoMore() {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        writeAll(NOW);
        ClusterStatusWriter registration = writer(registrationClient, "meshfed-registration", NOW.plusSeconds(60));
        Condition again = new Condition(ClusterStatusWriter.REGISTERED, ConditionStatus.TRUE, "Unchanged", "");
        registration.report("east", new Report(List.of(again), List.of(ClusterStatusWriter.API_REACHABLE),
                Optional.empty(), Optional.empty()));
        assertEquals("Reachable", conditions().get("ApiReachable").get("reason"), "kept as it was");
        assertEquals("Unchanged", conditions().get("Registered").get("reason"));
        registration.report("east", Report.of(again));
        assertEquals(List.of("CAIssued", "CatalogSynced", "IstiodConnected", "Registered"),
                conditions().keySet().stream().sorted().toList(), "its own condition it names no more is gone");
    }

    @Test
    void aFailedSyncKeepsTheTimeOfTheLastGoodOne() {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        writeAll(NOW);
        Object syncedAt = ((Map<?, ?>) status().get("catalog")).get("syncedAt");
        writer(exportClient, "meshfed-export", NOW.plusSeconds(300)).report("east", new Report(List.of(new Condition(
                ClusterStatusWriter.CATALOG_SYNCED, ConditionStatus.FALSE, "Unreachable", "connection refused")),
                List.of(ClusterStatusWriter.CATALOG_FIELD), Optional.empty(), Optional.empty()));
        assertEquals("False", conditions().get("CatalogSynced").get("status"));
        assertEquals(syncedAt, ((Map<?, ?>) status().get("catalog")).get("syncedAt"));
        assertEquals(3, ((Map<?, ?>) status().get("catalog")).get("services"));
    }

    @Test
    void aClusterThatIsNotRegisteredIsNotReportedOn() {
        assertFalse(writer(exportClient, "meshfed-export", NOW).report("nowhere", Report.of(
                new Condition(ClusterStatusWriter.CATALOG_SYNCED, ConditionStatus.FALSE, "Unreachable", ""))));
    }

    @Test
    void identitiesWithoutAStatusRuleCannotWriteStatus() {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        for (String account : List.of("meshfed-workload-events")) {
            try (KubernetesClient client = management.clientOf(account)) {
                KubernetesClientException e = assertThrows(KubernetesClientException.class,
                        () -> writer(client, account, NOW).report("east", registered(ConditionStatus.TRUE, "Reachable")));
                assertEquals(403, e.getCode(), account + ": " + e.getMessage());
            }
        }
        assertEquals(Map.of(), conditions());
    }

    private Map<?, ?> status() {
        var r = management.admin().genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER).inNamespace(NS)
                .withName("east").get();
        return r.getAdditionalProperties().get("status") instanceof Map<?, ?> m ? m : Map.of();
    }

    private Map<String, Map<?, ?>> conditions() {
        Map<String, Map<?, ?>> out = new LinkedHashMap<>();
        if (status().get("conditions") instanceof List<?> list) {
            for (Object o : list) {
                Map<?, ?> c = (Map<?, ?>) o;
                out.put((String) c.get("type"), c);
            }
        }
        return out;
    }

    /** {@code kubectl get meshclusters -n meshfed [extra]} as the admin: the row of {@code name}, by column header. */
    private Map<String, String> kubectlRow(String name, List<String> extra) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("kubectl", "--kubeconfig",
                management.api().kubeconfig().toString(), "--cache-dir", kubectlDir.resolve("cache").toString(),
                "get", "meshclusters", "-n", NS));
        cmd.addAll(extra);
        Path out = Files.createTempFile(kubectlDir, "kubectl-", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl finished");
        String text = Files.readString(out);
        assertEquals(0, p.exitValue(), text);
        System.out.println("$ kubectl get meshclusters -n " + NS + " " + String.join(" ", extra) + "\n" + text);
        List<String> lines = text.lines().toList();
        List<String> header = Arrays.asList(lines.get(0).trim().split("\\s+"));
        for (String line : lines.subList(1, lines.size())) {
            List<String> cells = Arrays.asList(line.trim().split("\\s+"));
            if (cells.get(0).equals(name)) {
                assertEquals(header.size(), cells.size(), "one cell per column (none empty):\n" + text);
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 0; i < header.size(); i++) {
                    row.put(header.get(i), cells.get(i));
                }
                return row;
            }
        }
        throw new AssertionError("no row for " + name + ":\n" + text);
    }
}
