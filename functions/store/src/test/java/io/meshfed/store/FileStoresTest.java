package io.meshfed.store;

import static io.meshfed.store.StoreFixtures.cluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.MeshCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoresTest {
    @TempDir
    Path state;

    @Test
    void clusterStoreKeepsTheContractAndSurvivesARestart() throws Exception {
        var store = new FileClusterStore(state);
        MeshCluster east = cluster("east", "10.0.0.1");
        assertEquals(ClusterStore.PutResult.CREATED, store.put(east, Optional.of(StoreFixtures.TOKEN)).result());
        assertEquals(ClusterStore.PutResult.UNCHANGED, store.put(east, Optional.of(StoreFixtures.TOKEN)).result());
        MeshCluster moved = new MeshCluster("east", east.network(), east.locality(),
                new GatewayAddress("10.0.0.2", 15443), east.trustDomain(), east.apiServer());
        var updated = store.put(moved, Optional.of(StoreFixtures.TOKEN));
        assertEquals(ClusterStore.PutResult.UPDATED, updated.result());
        assertEquals(2, updated.stored().generation());

        var reopened = new FileClusterStore(state);
        assertEquals(moved, reopened.get("east").orElseThrow().cluster());
        assertEquals(Optional.of(StoreFixtures.TOKEN), reopened.credentials("east"));
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve("credentials/east.json"))));
        assertTrue(reopened.delete("east"));
        assertFalse(reopened.delete("east"));
        assertEquals(List.of(), reopened.list());
        assertTrue(reopened.credentials("east").isEmpty());
    }

    @Test
    void catalogStoreVersionsOnlyMoveForward() {
        var store = new FileCatalogStore(state);
        ClusterCatalog v1 = StoreFixtures.catalog(1, 2);
        store.put(v1, 0);
        assertThrows(ConcurrentChangeException.class, () -> store.put(StoreFixtures.catalog(2, 3), 0));
        assertThrows(IllegalArgumentException.class, () -> store.put(StoreFixtures.catalog(1, 3), 1));
        ClusterCatalog stale = v1.markedStale(StoreFixtures.T0.plusSeconds(30));
        store.put(stale, 1);
        assertEquals(List.of(stale), new FileCatalogStore(state).list());
        assertTrue(store.delete("east"));
        assertEquals(List.of(), store.list());
    }
}
