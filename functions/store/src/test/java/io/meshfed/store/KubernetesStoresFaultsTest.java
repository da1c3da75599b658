package io.meshfed.store;

import static io.meshfed.store.StoreFixtures.cluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.meshfed.model.ClusterCatalog;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The faults a real API server cannot be made to give on demand: a server error in the middle of a write. fabric8's
 * mock server in CRUD mode, with a scripted failure in front (expectations answer first, everything else is CRUD).
 * The client does not retry (fabric8 retries 5xx by default, which would hide a one-off failure), so the store's
 * own handling is what is seen. Everything a real server can show lives in {@link KubernetesStoresRealApiServerTest}.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesStoresFaultsTest {
    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void noRetries() {
        client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
    }

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void aServerErrorWritingTheClusterIsNotAConflictAndLeavesNoSecretBehind() {
        server.expect().post().withPath("/apis/meshfed.io/v1alpha1/namespaces/meshfed/meshclusters")
                .andReturn(500, "etcdserver: request timed out").once();
        var store = new KubernetesClusterStore(client, "meshfed");
        var failed = assertThrows(KubernetesClientException.class,
                () -> store.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN)));
        assertEquals(500, failed.getCode(), "a KubernetesClientException, not a ConcurrentChangeException");
        assertTrue(store.get("east").isEmpty());
        assertEquals(List.of(), client.secrets().inNamespace("meshfed").list().getItems(),
                "the Secret created for the failed write is unreferenced and released");

        // the next delivery of the same registration succeeds
        assertEquals(ClusterStore.PutResult.CREATED,
                store.put(cluster("east", "10.0.0.1"), Optional.of(StoreFixtures.TOKEN)).result());
        assertEquals(Optional.of(StoreFixtures.TOKEN), store.credentials("east"));
    }

    @Test
    void aServerErrorWritingACatalogIsNotAConflictAndKeepsTheStoredOne() {
        var store = new KubernetesCatalogStore(client, "meshfed");
        ClusterCatalog v1 = StoreFixtures.catalog(1, 3);
        store.put(v1, 0);
        server.expect().put().withPath("/api/v1/namespaces/meshfed/configmaps/meshfed-catalog-east")
                .andReturn(503, "the server is currently unable to handle the request").once();
        var failed = assertThrows(KubernetesClientException.class,
                () -> store.put(StoreFixtures.catalog(2, 4), 1));
        assertEquals(503, failed.getCode(), "a KubernetesClientException, not a ConcurrentChangeException");
        assertEquals(v1, store.get("east").orElseThrow());
    }
}
