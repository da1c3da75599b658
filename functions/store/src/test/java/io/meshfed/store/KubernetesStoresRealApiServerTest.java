package io.meshfed.store;

import static io.meshfed.store.StoreFixtures.T0;
import static io.meshfed.store.StoreFixtures.catalog;
import static io.meshfed.store.StoreFixtures.cluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link KubernetesClusterStore} and {@link KubernetesCatalogStore} on a real kube-apiserver with meshfed's
 * MeshCluster CRD and RBAC: the cluster store acts as the registration function's ServiceAccount, the catalog store
 * as the export function's. Conflicts here are the API server's own 409s, on real resourceVersions. One API server
 * for the class; every test starts from an empty namespace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class KubernetesStoresRealApiServerTest {
    static final String NS = ManagementCluster.NAMESPACE;

    ManagementCluster management;
    KubernetesClient registration;
    KubernetesClient export;
    KubernetesClusterStore clusters;
    KubernetesCatalogStore catalogs;

    @BeforeAll
    void start() {
        management = new ManagementCluster();
        registration = management.clientOf("meshfed-registration");
        export = management.clientOf("meshfed-export");
        clusters = new KubernetesClusterStore(registration, NS);
        catalogs = new KubernetesCatalogStore(export, NS);
    }

    @AfterEach
    void clear() {
        management.clear();
    }

    @AfterAll
    void stop() {
        registration.close();
        export.close();
        management.close();
    }

    // ---- MeshCluster + credentials Secret

    @Test
    void createThenIdenticalPutIsUnchangedAndWritesNothing() {
        MeshCluster east = cluster("east", "10.0.0.1");
        var created = clusters.put(east, Optional.of(StoreFixtures.TOKEN));
        assertEquals(ClusterStore.PutResult.CREATED, created.result());
        assertEquals(1, created.stored().generation());
        String rv = created.stored().resourceVersion();

        var again = clusters.put(east, Optional.of(StoreFixtures.TOKEN));
        assertEquals(ClusterStore.PutResult.UNCHANGED, again.result());
        assertEquals(rv, clusters.get("east").orElseThrow().resourceVersion());
        assertEquals(east, clusters.get("east").orElseThrow().cluster());
        assertEquals(Optional.of(StoreFixtures.TOKEN), clusters.credentials("east"));
    }

    @Test
    void credentialsLiveOnlyInAnImmutableSecret() {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        var resource = management.admin().genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                .inNamespace(NS).withName("east").get();
        String json = Serialization.asJson(resource);
        assertFalse(json.contains("dA=="), json);
        assertFalse(json.contains("\"token\""), json);
        String name = KubernetesClusterStore.credentialsSecretName("east", StoreFixtures.TOKEN);
        Secret secret = management.admin().secrets().inNamespace(NS).withName(name).get();
        assertEquals("dA==", secret.getData().get("token"));
        assertTrue(secret.getImmutable());
        // the API server itself refuses to change an immutable Secret's data
        var changed = new SecretBuilder(secret).withData(Map.of("token", "eA==")).build();
        var refused = assertThrows(KubernetesClientException.class,
                () -> management.admin().secrets().inNamespace(NS).resource(changed).update());
        assertEquals(422, refused.getCode());
    }

    @Test
    void changedSpecUpdatesAndTheServerBumpsTheGeneration() {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        MeshCluster moved = new MeshCluster("east", "net-east", cluster("east", "10.0.0.1").locality(),
                new GatewayAddress("10.0.0.2", 15443), "east.example.org", cluster("east", "10.0.0.1").apiServer());
        var updated = clusters.put(moved, Optional.of(StoreFixtures.TOKEN));
        assertEquals(ClusterStore.PutResult.UPDATED, updated.result());
        assertEquals(2, updated.stored().generation());
        assertEquals(moved, clusters.get("east").orElseThrow().cluster());
        assertEquals(1, clusters.list().size());
        assertEquals(Optional.of(StoreFixtures.TOKEN), clusters.credentials("east"));
    }

    @Test
    void rotatedCredentialsMoveToANewSecretAndTheOldOneGoes() {
        MeshCluster east = cluster("east", "10.0.0.1");
        clusters.put(east, Optional.of(StoreFixtures.TOKEN));
        ClusterCredentials rotated = ClusterCredentials.ofToken("t2");
        assertEquals(ClusterStore.PutResult.UPDATED, clusters.put(withCredentials(east, rotated),
                Optional.of(rotated)).result());
        assertEquals(Optional.of(rotated), clusters.credentials("east"));
        assertEquals(List.of(KubernetesClusterStore.credentialsSecretName("east", rotated)), secretNames());
    }

    @Test
    void aClusterWithoutApiAccessHasNoSecret() {
        MeshCluster edge = new MeshCluster("edge", "net-edge", Locality.of("eu-west1"),
                new GatewayAddress("edge-gw.example.org", 15443), "edge.example.org", null);
        assertEquals(ClusterStore.PutResult.CREATED, clusters.put(edge, Optional.empty()).result());
        assertEquals(edge, clusters.get("edge").orElseThrow().cluster());
        assertTrue(clusters.credentials("edge").isEmpty());
        assertTrue(secretNames().isEmpty());
    }

    @Test
    void deleteRemovesResourceAndSecretAndIsIdempotent() {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        clusters.put(cluster("west", "10.0.0.2"), Optional.of(StoreFixtures.TOKEN));
        assertTrue(clusters.delete("east"));
        assertTrue(clusters.get("east").isEmpty());
        assertTrue(clusters.credentials("east").isEmpty());
        assertEquals(List.of(KubernetesClusterStore.credentialsSecretName("west", StoreFixtures.TOKEN)), secretNames(),
                "only east's Secrets go");
        assertFalse(clusters.delete("east"));
        assertEquals(List.of("west"), clusters.list().stream().map(s -> s.cluster().name()).toList());
    }

    @Test
    void theExportFunctionMayReadClustersButNotWriteThem() {
        clusters.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN));
        var asExport = new KubernetesClusterStore(export, NS);
        assertEquals(Optional.of(StoreFixtures.TOKEN), asExport.credentials("east"));
        var refused = assertThrows(KubernetesClientException.class,
                () -> asExport.put(cluster("west", "10.0.0.2"), Optional.of(StoreFixtures.TOKEN)));
        assertEquals(403, refused.getCode());
        assertEquals(List.of("east"), clusters.list().stream().map(s -> s.cluster().name()).toList());
    }

    @Test
    void concurrentCreatesOfOneNameYieldOneClusterAndOneWinner() throws Exception {
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> outcomes = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                MeshCluster spec = cluster("east", "10.0.0." + (i + 1));
                outcomes.add(pool.submit(() -> {
                    start.await();
                    try {
                        return clusters.put(spec, Optional.of(StoreFixtures.TOKEN)).result().name();
                    } catch (ConcurrentChangeException e) {
                        return "CONFLICT";
                    }
                }));
            }
            start.countDown();
            List<String> results = new ArrayList<>();
            for (Future<String> f : outcomes) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            assertEquals(1, results.stream().filter("CREATED"::equals).count(), results.toString());
            assertEquals(1, clusters.list().size());
            assertTrue(clusters.get("east").orElseThrow().cluster().eastWestGateway().address().startsWith("10.0.0."));
            assertEquals(Optional.of(StoreFixtures.TOKEN), clusters.credentials("east"), results.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The race behind "export fails forever with NO_CREDENTIALS", made deterministic: writer A creates the
     * content-addressed Secret and is held just before creating the MeshCluster; writer B, with identical input,
     * finds the Secret already there and creates the MeshCluster; A's create then gets the server's 409. A must not
     * delete the Secret B's MeshCluster names.
     */
    @Test
    void aLoserThatCreatedTheSharedSecretLeavesItToTheWinner() throws Exception {
        var pause = new ManagementCluster.Pause("POST", "/meshclusters");
        try (KubernetesClient heldClient = management.clientOf("meshfed-registration", pause)) {
            var held = new KubernetesClusterStore(heldClient, NS);
            MeshCluster east = cluster("east", "10.0.0.1");
            var a = CompletableFuture.supplyAsync(() -> held.put(east, Optional.of(StoreFixtures.TOKEN)));
            pause.awaitReached();
            assertEquals(List.of(KubernetesClusterStore.credentialsSecretName("east", StoreFixtures.TOKEN)),
                    secretNames(), "A created the Secret before its MeshCluster");
            assertEquals(ClusterStore.PutResult.CREATED, clusters.put(east, Optional.of(StoreFixtures.TOKEN)).result());
            pause.proceed();
            var lost = assertThrows(java.util.concurrent.ExecutionException.class, () -> a.get(60, TimeUnit.SECONDS));
            var conflict = assertInstanceOf(ConcurrentChangeException.class, lost.getCause());
            assertEquals(409, assertInstanceOf(KubernetesClientException.class, conflict.getCause()).getCode());
            assertEquals(Optional.of(StoreFixtures.TOKEN), clusters.credentials("east"));
        }
    }

    /** The same for a rotation: both writers move the cluster to the same new credentials; the loser's update 409s. */
    @Test
    void aLoserOfARotationLeavesTheNewSecretToTheWinner() throws Exception {
        MeshCluster east = cluster("east", "10.0.0.1");
        clusters.put(east, Optional.of(StoreFixtures.TOKEN));
        ClusterCredentials rotated = ClusterCredentials.ofToken("t2");
        MeshCluster eastRotated = withCredentials(east, rotated);
        var pause = new ManagementCluster.Pause("PUT", "/meshclusters/east");
        try (KubernetesClient heldClient = management.clientOf("meshfed-registration", pause)) {
            var held = new KubernetesClusterStore(heldClient, NS);
            var a = CompletableFuture.supplyAsync(() -> held.put(eastRotated, Optional.of(rotated)));
            pause.awaitReached();
            assertEquals(ClusterStore.PutResult.UPDATED, clusters.put(eastRotated, Optional.of(rotated)).result());
            pause.proceed();
            var lost = assertThrows(java.util.concurrent.ExecutionException.class, () -> a.get(60, TimeUnit.SECONDS));
            assertInstanceOf(ConcurrentChangeException.class, lost.getCause());
            assertEquals(Optional.of(rotated), clusters.credentials("east"));
            assertEquals(List.of(KubernetesClusterStore.credentialsSecretName("east", rotated)), secretNames());
        }
    }

    /** Two identical writes at once, many rounds: one cluster, and its credentials are always readable. */
    @Test
    void identicalConcurrentPutsAlwaysLeaveReadableCredentials() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<String> failures = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                String name = "race-" + round;
                MeshCluster spec = cluster(name, "10.0.1." + (round + 1));
                CountDownLatch start = new CountDownLatch(2);
                List<Future<String>> writes = new ArrayList<>();
                for (int w = 0; w < 2; w++) {
                    writes.add(pool.submit(() -> {
                        start.countDown();
                        start.await();
                        try {
                            return clusters.put(spec, Optional.of(StoreFixtures.TOKEN)).result().name();
                        } catch (ConcurrentChangeException e) {
                            return "CONFLICT";
                        }
                    }));
                }
                List<String> results = new ArrayList<>();
                for (Future<String> f : writes) {
                    results.add(f.get(60, TimeUnit.SECONDS));
                }
                assertEquals(1, results.stream().filter("CREATED"::equals).count(), results.toString());
                if (clusters.credentials(name).isEmpty()) {
                    failures.add(name + " " + results);
                }
            }
            assertEquals(List.of(), failures, "clusters whose credentials Secret is gone");
            assertEquals(20, clusters.list().size());
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- catalogs

    @Test
    void catalogRoundTripsExactly() {
        ClusterCatalog c = catalog(1, 3);
        catalogs.put(c, 0);
        assertEquals(c, catalogs.get("east").orElseThrow());
        assertEquals(List.of(c), catalogs.list());
    }

    @Test
    void catalogVersionsOnlyMoveForward() {
        catalogs.put(catalog(1, 3), 0);
        catalogs.put(catalog(2, 4), 1);
        assertThrows(ConcurrentChangeException.class, () -> catalogs.put(catalog(3, 5), 1));
        assertThrows(IllegalArgumentException.class, () -> catalogs.put(catalog(1, 5), 2));
        assertEquals(catalog(2, 4), catalogs.get("east").orElseThrow());
    }

    @Test
    void markingACatalogStaleKeepsTheVersion() {
        catalogs.put(catalog(1, 3), 0);
        ClusterCatalog stale = catalog(1, 3).markedStale(T0.plusSeconds(60));
        catalogs.put(stale, 1);
        assertEquals(stale, catalogs.get("east").orElseThrow());
        assertTrue(catalogs.get("east").orElseThrow().isStale());
    }

    @Test
    void catalogDeleteIsIdempotent() {
        catalogs.put(catalog(1, 3), 0);
        assertTrue(catalogs.delete("east"));
        assertFalse(catalogs.delete("east"));
        assertTrue(catalogs.list().isEmpty());
    }

    /**
     * Compare-and-set against a concurrent writer: both read version 1; A writes version 2; B, held between its read
     * and its write, then writes over the resourceVersion it read and loses to the server's 409.
     */
    @Test
    void catalogCompareAndSetLosesToAConcurrentWriterWithARealConflict() throws Exception {
        catalogs.put(catalog(1, 3), 0);
        var pause = new ManagementCluster.Pause("PUT", "/configmaps/" + KubernetesCatalogStore.configMapName("east"));
        try (KubernetesClient heldClient = management.clientOf("meshfed-export", pause)) {
            var b = new KubernetesCatalogStore(heldClient, NS);
            var bWrite = CompletableFuture.runAsync(() -> b.put(catalog(2, 5), 1));
            pause.awaitReached();
            catalogs.put(catalog(2, 4), 1);
            pause.proceed();
            var lost = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> bWrite.get(60, TimeUnit.SECONDS));
            var conflict = assertInstanceOf(ConcurrentChangeException.class, lost.getCause());
            var cause = assertInstanceOf(KubernetesClientException.class, conflict.getCause());
            assertEquals(409, cause.getCode());
            assertNotNull(cause.getStatus());
            assertEquals("Conflict", cause.getStatus().getReason());
        }
        assertEquals(catalog(2, 4), catalogs.get("east").orElseThrow(), "the winner's catalog stays");
    }

    @Test
    void theRegistrationFunctionMayNotWriteCatalogs() {
        var asRegistration = new KubernetesCatalogStore(registration, NS);
        var refused = assertThrows(KubernetesClientException.class, () -> asRegistration.put(catalog(1, 1), 0));
        assertEquals(403, refused.getCode());
    }

    private List<String> secretNames() {
        return management.admin().secrets().inNamespace(NS).withLabel(KubernetesClusterStore.MANAGED_BY, "meshfed")
                .list().getItems().stream().map(s -> s.getMetadata().getName()).sorted().toList();
    }

    private static MeshCluster withCredentials(MeshCluster c, ClusterCredentials credentials) {
        return new MeshCluster(c.name(), c.network(), c.locality(), c.eastWestGateway(), c.trustDomain(),
                new ApiServerRef(c.apiServer().url(), c.apiServer().caData(),
                        KubernetesClusterStore.credentialsSecretName(c.name(), credentials)));
    }
}
