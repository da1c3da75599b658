package io.meshfed.store;

import static io.meshfed.store.StoreFixtures.cluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.Locality;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesCatalogStoreTest {
    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    KubernetesClient client;
    KubernetesCatalogStore store;

    @BeforeEach
    void setUp() {
        store = new KubernetesCatalogStore(client, "meshfed");
    }

    static ClusterCatalog catalog(long version, int replicas) {
        var endpoints = new java.util.ArrayList<ServiceEndpoint>();
        for (int i = 0; i < replicas; i++) {
            endpoints.add(new ServiceEndpoint("10.1.0." + (i + 1), new Locality("us-east1", "us-east1-b"), true,
                    Map.of("app", "reviews", "version", "v" + (i % 2 + 1))));
        }
        var reviews = new ExportedService("bookinfo", "reviews",
                List.of(new ServicePort("http", 9080, "HTTP", 9080)), endpoints);
        return ClusterCatalog.fresh(cluster("east", "10.0.0.1"), List.of(reviews), version, T0);
    }

    @Test
    void roundTripsExactly() {
        ClusterCatalog c = catalog(1, 3);
        store.put(c, 0);
        assertEquals(c, store.get("east").orElseThrow());
        assertEquals(List.of(c), store.list());
    }

    @Test
    void versionsOnlyMoveForward() {
        store.put(catalog(1, 3), 0);
        store.put(catalog(2, 4), 1);
        assertThrows(ConcurrentChangeException.class, () -> store.put(catalog(3, 5), 1));
        assertThrows(IllegalArgumentException.class, () -> store.put(catalog(1, 5), 2));
        assertEquals(catalog(2, 4), store.get("east").orElseThrow());
    }

    @Test
    void markingStaleKeepsTheVersion() {
        store.put(catalog(1, 3), 0);
        ClusterCatalog stale = catalog(1, 3).markedStale(T0.plusSeconds(60));
        store.put(stale, 1);
        assertEquals(stale, store.get("east").orElseThrow());
        assertTrue(store.get("east").orElseThrow().isStale());
    }

    @Test
    void deleteIsIdempotent() {
        store.put(catalog(1, 3), 0);
        assertTrue(store.delete("east"));
        assertFalse(store.delete("east"));
        assertTrue(store.list().isEmpty());
    }
}
