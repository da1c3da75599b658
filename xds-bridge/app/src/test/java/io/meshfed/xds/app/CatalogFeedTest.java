package io.meshfed.xds.app;

import static io.meshfed.xds.app.ManagementCluster.EAST_A;
import static io.meshfed.xds.app.ManagementCluster.WEST;
import static io.meshfed.xds.app.ManagementCluster.WEST_A;
import static io.meshfed.xds.app.ManagementCluster.catalog;
import static io.meshfed.xds.app.ManagementCluster.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.xds.cache.ConfigWatcher;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.Snapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.cache.UnknownClusterException;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The feed reads state from the real Kubernetes stores (on fabric8's CRUD mock) and publishes only changes. */
class CatalogFeedTest {
    ManagementCluster mgmt;
    SnapshotCache cache;
    CatalogFeed feed;
    final List<String> recorded = new ArrayList<>();

    @BeforeEach
    void setUp() {
        mgmt = new ManagementCluster();
        mgmt.seed();
        cache = new SnapshotCache();
        feed = new CatalogFeed(mgmt.clusters, mgmt.catalogs, cache, new EnvoyTranslator(EnvoyPolicy.DEFAULT),
                FederationMcpTranslator.incremental(new IstioFederationTranslator()), Clock.systemUTC());
    }

    @AfterEach
    void tearDown() {
        mgmt.close();
    }

    ConfigWatcher.Watch watchEast() {
        return cache.watch(NodeGroup.of("east"), new ConfigWatcher.SnapshotListener() {
            @Override
            public void onSnapshot(Snapshot s) {
                recorded.add("snapshot cds=" + s.resources(TypeUrls.CLUSTER).resources().keySet());
            }

            @Override
            public void onClusterRemoved(String cluster) {
                recorded.add("removed " + cluster);
            }
        });
    }

    @Test
    void loadsEveryCatalogAtStartThenFollowsHintsByReReadingTheStore() {
        feed.loadAll();
        ConfigWatcher.Watch watch = watchEast();
        assertEquals(Set.of("outbound|7070||echo.demo.svc.clusterset.local"),
                watch.current().resources(TypeUrls.CLUSTER).resources().keySet());
        int istioResources;
        try (ConfigWatcher.Watch istiod = cache.watch(NodeGroup.istio("east"), new ConfigWatcher.SnapshotListener() {
            @Override
            public void onSnapshot(Snapshot s) {
            }

            @Override
            public void onClusterRemoved(String cluster) {
            }
        })) {
            istioResources = istiod.current().resources("networking.istio.io/v1/ServiceEntry").resources().size();
        }

        // a hint for a cluster whose state did not change publishes nothing
        feed.refresh("west");
        // west now exports cart too
        mgmt.catalogs.put(catalog(WEST, 2, service("demo", "echo", "10.2.0.1", WEST_A),
                service("shop", "cart", "10.2.0.2", WEST_A)), 1);
        feed.refresh("west");
        feed.refresh("west"); // duplicate delivery
        // west is deregistered (its catalog may linger in the store: it is ignored)
        mgmt.clusters.delete("west");
        feed.refresh("west");

        assertEquals(List.of(
                "snapshot cds=[outbound|7070||cart.shop.svc.clusterset.local, outbound|7070||echo.demo.svc.clusterset.local]",
                "snapshot cds=[outbound|7070||echo.demo.svc.clusterset.local]"), recorded);
        assertEquals(List.of("east"), feed.catalogs().stream().map(c -> c.clusterName()).toList());
        assertEquals(true, istioResources > 0, "east's istiod sees west's echo as a ServiceEntry");
        assertThrows(UnknownClusterException.class, () -> cache.watch(NodeGroup.of("west"),
                new ConfigWatcher.SnapshotListener() {
                    public void onSnapshot(Snapshot s) {
                    }

                    public void onClusterRemoved(String c) {
                    }
                }));
    }

    @Test
    void clientsOfADeregisteredClusterAreToldAndARegisteredClusterWithoutCatalogIsServed() {
        mgmt.clusters.put(new io.meshfed.model.MeshCluster("north", "net-north", EAST_A,
                new io.meshfed.model.GatewayAddress("192.0.2.30", 15443), "north.meshfed.example", null),
                java.util.Optional.empty());
        feed.loadAll();
        ConfigWatcher.Watch north = cache.watch(NodeGroup.of("north"), new ConfigWatcher.SnapshotListener() {
            @Override
            public void onSnapshot(Snapshot s) {
                recorded.add("north snapshot");
            }

            @Override
            public void onClusterRemoved(String cluster) {
                recorded.add("removed " + cluster);
            }
        });
        assertEquals(1, north.current().resources(TypeUrls.CLUSTER).resources().size(),
                "north exports nothing yet but sees the federation");
        mgmt.clusters.delete("north");
        feed.refresh("north");
        assertEquals(List.of("removed north"), recorded);
        assertEquals(0, cache.watchCount());
    }

}
