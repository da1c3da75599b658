package io.meshfed.xds.app;

import static io.meshfed.xds.app.RealManagementCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bridge converges from the store alone, on a real kube-apiserver with meshfed's CRD and RBAC: registrations and
 * catalogs written by the other functions' ServiceAccounts, with no event sent to the bridge at all (every event
 * lost), reach its feed through the watch, which runs as the bridge's own ServiceAccount.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class StoreWatchRealApiServerTest {
    private static final String NS = RealManagementCluster.NS;

    RealManagementCluster cluster;
    KubernetesClient bridge;
    KubernetesClusterStore registration;
    KubernetesCatalogStore export;
    CatalogFeed feed;
    StoreWatch watch;

    @BeforeAll
    void start() throws Exception {
        cluster = new RealManagementCluster("meshcluster.yaml");
        bridge = cluster.clientOf("meshfed-xds-bridge");
        registration = new KubernetesClusterStore(cluster.clientOf("meshfed-registration"), NS);
        export = new KubernetesCatalogStore(cluster.clientOf("meshfed-export"), NS);
        feed = new CatalogFeed(new KubernetesClusterStore(bridge, NS), new KubernetesCatalogStore(bridge, NS),
                new SnapshotCache(), new EnvoyTranslator(EnvoyPolicy.DEFAULT),
                FederationMcpTranslator.incremental(new IstioFederationTranslator()), Clock.systemUTC());
        feed.loadAll();
        watch = StoreWatch.start(bridge, NS, feed, Duration.ofMinutes(10));
    }

    @AfterAll
    void stop() {
        if (watch != null) {
            watch.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private Map<String, Long> served() {
        return feed.catalogs().stream().collect(Collectors.toMap(ClusterCatalog::clusterName, ClusterCatalog::version));
    }

    @Test
    void registrationsAndCatalogsReachTheFeedWithoutAnyEvent() throws Exception {
        registration.put(ManagementCluster.EAST, Optional.empty());
        await("east registered, served with no services yet", () -> Long.valueOf(0).equals(served().get("east")));

        export.put(ManagementCluster.catalog(ManagementCluster.EAST, 1,
                ManagementCluster.service("demo", "echo", "10.1.0.1", ManagementCluster.EAST_A)), 0);
        await("east's catalog version 1", () -> Long.valueOf(1).equals(served().get("east")));

        export.put(ManagementCluster.catalog(ManagementCluster.EAST, 2,
                ManagementCluster.service("demo", "echo", "10.1.0.2", ManagementCluster.EAST_A)), 1);
        await("east's catalog version 2", () -> Long.valueOf(2).equals(served().get("east")));
        assertEquals("10.1.0.2", feed.catalogs().get(0).services().get(0).endpoints().get(0).address());

        registration.put(ManagementCluster.WEST, Optional.empty());
        await("west registered", () -> served().containsKey("west"));
        assertTrue(registration.delete("east"));
        await("east deregistered", () -> !served().containsKey("east"));
        assertEquals(Map.of("west", 0L), served());
    }
}
