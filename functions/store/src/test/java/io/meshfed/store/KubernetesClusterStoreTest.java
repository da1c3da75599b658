package io.meshfed.store;

import static io.meshfed.store.StoreFixtures.cluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.MeshCluster;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesClusterStoreTest {
    KubernetesClient client;
    KubernetesClusterStore store;

    @BeforeEach
    void setUp() {
        store = new KubernetesClusterStore(client, "meshfed");
    }

    @Test
    void createThenIdenticalPutIsUnchangedAndWritesNothing() {
        MeshCluster east = cluster("east", "10.0.0.1");
        var created = store.put(east, Optional.of(ClusterCredentials.ofToken("t")));
        assertEquals(ClusterStore.PutResult.CREATED, created.result());
        String rv = created.stored().resourceVersion();

        var again = store.put(east, Optional.of(ClusterCredentials.ofToken("t")));
        assertEquals(ClusterStore.PutResult.UNCHANGED, again.result());
        assertEquals(rv, store.get("east").orElseThrow().resourceVersion());
        assertEquals(east, store.get("east").orElseThrow().cluster());
        assertEquals(Optional.of(ClusterCredentials.ofToken("t")), store.credentials("east"));
    }

    @Test
    void credentialsLiveOnlyInTheSecret() {
        store.put(cluster("east", "10.0.0.1"), Optional.of(ClusterCredentials.ofToken("t")));
        var resource = client.genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                .inNamespace("meshfed").withName("east").get();
        assertFalse(io.fabric8.kubernetes.client.utils.Serialization.asJson(resource).contains("dA=="));
        assertFalse(io.fabric8.kubernetes.client.utils.Serialization.asJson(resource).contains("\"token\""));
        Secret secret = client.secrets().inNamespace("meshfed")
                .withName(KubernetesClusterStore.credentialsSecretName("east", StoreFixtures.TOKEN)).get();
        assertEquals("dA==", secret.getData().get("token"));
        assertTrue(secret.getImmutable());
    }

    @Test
    void changedSpecUpdates() {
        store.put(cluster("east", "10.0.0.1"), Optional.of(ClusterCredentials.ofToken("t")));
        MeshCluster moved = new MeshCluster("east", "net-east", cluster("east", "10.0.0.1").locality(),
                new GatewayAddress("10.0.0.2", 15443), "east.example.org", cluster("east", "10.0.0.1").apiServer());
        var updated = store.put(moved, Optional.of(ClusterCredentials.ofToken("t")));
        assertEquals(ClusterStore.PutResult.UPDATED, updated.result());
        assertEquals(moved, store.get("east").orElseThrow().cluster());
        assertEquals(1, store.list().size());
    }

    @Test
    void rotatedCredentialsMoveToANewSecretAndTheOldOneGoes() {
        MeshCluster east = cluster("east", "10.0.0.1");
        store.put(east, Optional.of(StoreFixtures.TOKEN));
        ClusterCredentials rotated = ClusterCredentials.ofToken("t2");
        MeshCluster eastRotated = new MeshCluster("east", east.network(), east.locality(), east.eastWestGateway(),
                east.trustDomain(), new io.meshfed.model.ApiServerRef(east.apiServer().url(), east.apiServer().caData(),
                        KubernetesClusterStore.credentialsSecretName("east", rotated)));
        assertEquals(ClusterStore.PutResult.UPDATED, store.put(eastRotated, Optional.of(rotated)).result());
        assertEquals(Optional.of(rotated), store.credentials("east"));
        assertEquals(java.util.List.of(KubernetesClusterStore.credentialsSecretName("east", rotated)),
                client.secrets().inNamespace("meshfed").list().getItems().stream()
                        .map(s -> s.getMetadata().getName()).toList());
    }

    @Test
    void deleteRemovesResourceAndSecretAndIsIdempotent() {
        store.put(cluster("east", "10.0.0.1"), Optional.of(ClusterCredentials.ofToken("t")));
        assertTrue(store.delete("east"));
        assertTrue(store.get("east").isEmpty());
        assertTrue(store.credentials("east").isEmpty());
        assertTrue(client.secrets().inNamespace("meshfed").list().getItems().isEmpty());
        assertFalse(store.delete("east"));
    }

    @Test
    void concurrentCreatesOfOneNameYieldOneClusterAndOneWinner() throws Exception {
        int writers = 8;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        var start = new java.util.concurrent.CountDownLatch(1);
        var outcomes = new java.util.ArrayList<java.util.concurrent.Future<String>>();
        for (int i = 0; i < writers; i++) {
            MeshCluster spec = cluster("east", "10.0.0." + (i + 1));
            outcomes.add(pool.submit(() -> {
                start.await();
                try {
                    return store.put(spec, Optional.of(ClusterCredentials.ofToken("t"))).result().name();
                } catch (ConcurrentChangeException e) {
                    return "CONFLICT";
                }
            }));
        }
        start.countDown();
        var results = new java.util.ArrayList<String>();
        for (var f : outcomes) {
            results.add(f.get());
        }
        pool.shutdown();
        assertEquals(1, results.stream().filter("CREATED"::equals).count(), results.toString());
        assertEquals(1, store.list().size());
        MeshCluster stored = store.get("east").orElseThrow().cluster();
        assertTrue(stored.eastWestGateway().address().startsWith("10.0.0."));
    }
}
