package io.meshfed.xds.bridge;

import static io.meshfed.xds.Fixtures.T0;
import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServicePort;
import io.meshfed.xds.cache.ConfigWatcher;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.Snapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A cache that patches each node group from the previous generation must end up, after every kind of change,
 * with exactly what a cache built from that generation alone holds: same resources, same versions.
 */
class IncrementalPublishTest {
    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality EAST_B = new Locality("us-east", "b");
    static final Locality WEST = new Locality("us-west", "a");
    static final MeshCluster EAST = cluster("east", "net-east", EAST_A, "10.0.0.250", 15443);
    static final MeshCluster WEST_C = cluster("west", "net-west", WEST, "10.1.0.250", 15443);
    static final MeshCluster NORTH = cluster("north", "net-east", EAST_B, "10.2.0.250", 15443);
    static final List<NodeGroup> GROUPS = List.of(NodeGroup.of("east"), new NodeGroup("east", "us-east/b"),
            NodeGroup.of("west"), new NodeGroup("west", "us-west/a"), NodeGroup.of("north"),
            NodeGroup.istio("east"), NodeGroup.istio("west"), NodeGroup.istio("north"));

    final EnvoyTranslator envoy = new EnvoyTranslator(EnvoyPolicy.DEFAULT);
    final FederationMcpTranslator mcp = FederationMcpTranslator.incremental(new IstioFederationTranslator());
    final SnapshotCache cache = new SnapshotCache();
    final List<ConfigWatcher.Watch> watches = new ArrayList<>();

    static ExportedService echo(boolean firstReady) {
        return grpcService("demo", "echo", 7070, 8080, endpoint("10.0.1.1", EAST_A, firstReady),
                endpoint("10.0.1.2", EAST_B, true));
    }

    static ExportedService api(String ip) {
        return grpcService("shop", "api", 9090, 9090, endpoint(ip, WEST, true));
    }

    static ExportedService billing(int port) {
        return new ExportedService("shop", "billing", List.of(new ServicePort("http", port, "HTTP", port)),
                List.of(endpoint("10.2.1.1", EAST_B, true)));
    }

    @Test
    void everyKindOfChangeEndsAsAFullBuildWould() {
        List<List<ClusterCatalog>> generations = List.of(
                List.of(catalog(EAST, 1, echo(true)), catalog(WEST_C, 1, api("10.1.1.1")), catalog(NORTH, 1, billing(80))),
                // an endpoint turns unready
                List.of(catalog(EAST, 2, echo(false)), catalog(WEST_C, 1, api("10.1.1.1")), catalog(NORTH, 1, billing(80))),
                // a service moves its endpoint, another changes its port (new names, old ones removed)
                List.of(catalog(EAST, 2, echo(false)), catalog(WEST_C, 2, api("10.1.1.9")), catalog(NORTH, 2, billing(8080))),
                // a service appears in a second cluster, another disappears
                List.of(catalog(EAST, 3, echo(false), api("10.0.1.7")), catalog(WEST_C, 3), catalog(NORTH, 2, billing(8080))),
                // nothing changes
                List.of(catalog(EAST, 3, echo(false), api("10.0.1.7")), catalog(WEST_C, 3), catalog(NORTH, 2, billing(8080))),
                // a cluster record changes (everything is rebuilt)
                List.of(catalog(EAST, 3, echo(true), api("10.0.1.7")),
                        catalog(cluster("west", "net-west", WEST, "10.1.0.251", 15443), 3, api("10.1.1.1")),
                        catalog(NORTH, 2, billing(8080))));
        Snapshot before = null;
        for (int g = 0; g < generations.size(); g++) {
            publish(generations.get(g), T0);
            if (g == 0) {
                GROUPS.forEach(group -> watches.add(cache.watch(group, listener())));
            }
            for (NodeGroup group : GROUPS) {
                assertEquals(fullBuild(generations.get(g), T0, group), versions(cache.snapshot(group)),
                        "generation " + g + ", group " + group);
            }
            Snapshot east = cache.snapshot(NodeGroup.of("east"));
            if (g == 4) {
                assertEquals(before, east, "an unchanged generation keeps every version");
            } else if (g > 0) {
                assertNotEquals(before, east, "generation " + g + " changes what east sees");
            }
            before = east;
        }
    }

    /**
     * A cluster whose gateway is known only by name turns echo into an aggregate cluster for east and west; every
     * change of what the aggregate lists (its gateway's workloads turning unready, the service leaving that cluster
     * so echo is a plain EDS cluster again, coming back) is patched into exactly what a full build holds.
     */
    @Test
    void aGatewayKnownOnlyByNameIsPatchedLikeAFullBuild() {
        MeshCluster south = new MeshCluster("south", "net-south", EAST_B, new GatewayAddress("gw.south.example", 15443),
                "south.meshfed.example", null);
        ExportedService southEcho = grpcService("demo", "echo", 7070, 8080, endpoint("10.3.1.1", EAST_B, true));
        ExportedService southEchoUnready = grpcService("demo", "echo", 7070, 8080, endpoint("10.3.1.1", EAST_B, false));
        List<NodeGroup> groups = List.of(NodeGroup.of("east"), NodeGroup.of("west"), NodeGroup.of("south"));
        List<List<ClusterCatalog>> generations = List.of(
                List.of(catalog(EAST, 1, echo(true)), catalog(WEST_C, 1, api("10.1.1.1")), catalog(south, 1, southEcho)),
                // nothing ready behind the gateway by name: it leaves the aggregate's list
                List.of(catalog(EAST, 1, echo(true)), catalog(WEST_C, 1, api("10.1.1.1")), catalog(south, 2, southEchoUnready)),
                // echo leaves south: a plain EDS cluster again, the aggregate's members removed
                List.of(catalog(EAST, 1, echo(true)), catalog(WEST_C, 1, api("10.1.1.1")), catalog(south, 3)),
                // and comes back, with the API service too
                List.of(catalog(EAST, 1, echo(true)), catalog(WEST_C, 1, api("10.1.1.1")),
                        catalog(south, 4, southEcho, api("10.3.1.2"))));
        for (int g = 0; g < generations.size(); g++) {
            publish(generations.get(g), T0);
            if (g == 0) {
                groups.forEach(group -> watches.add(cache.watch(group, listener())));
            }
            for (NodeGroup group : groups) {
                assertEquals(fullBuild(generations.get(g), T0, group), versions(cache.snapshot(group)),
                        "generation " + g + ", group " + group);
            }
        }
        String gatewayMember = "outbound|7070|gateway-south|echo.demo.svc.clusterset.local";
        assertTrue(cache.snapshot(NodeGroup.of("west")).resources(TypeUrls.CLUSTER).get(gatewayMember) != null,
                "west fails over to south's gateway by name");
        assertEquals(null, cache.snapshot(NodeGroup.of("south")).resources(TypeUrls.CLUSTER).get(gatewayMember),
                "south dials its own workloads");
    }

    @Test
    void aCatalogGoingStalePastItsGraceIsPatchedLikeAFullBuild() {
        Instant staleSince = T0.minus(Duration.ofMinutes(1));
        ClusterCatalog west = new ClusterCatalog(WEST_C, List.of(api("10.1.1.1")), 1, null, T0.minus(Duration.ofHours(1)),
                staleSince);
        List<ClusterCatalog> gen = List.of(catalog(EAST, 1, echo(true)), west);
        publish(gen, staleSince);
        watches.add(cache.watch(NodeGroup.of("east"), listener()));
        Instant later = staleSince.plus(EnvoyPolicy.DEFAULT.staleGrace()).plusSeconds(1);
        Map<String, Map<String, String>> fresh = versions(cache.snapshot(NodeGroup.of("east")));
        publish(gen, later);
        Map<String, Map<String, String>> stale = versions(cache.snapshot(NodeGroup.of("east")));
        assertEquals(fullBuild(gen, later, NodeGroup.of("east")), stale);
        assertNotEquals(fresh, stale, "endpoints of a stale catalog turn unhealthy");
    }

    @Test
    void onlyResourcesWithANewVersionAreSerializedAgain() {
        List<ClusterCatalog> first = List.of(catalog(EAST, 1, echo(true)), catalog(WEST_C, 1, api("10.1.1.1")));
        publish(first, T0);
        watches.add(cache.watch(NodeGroup.of("east"), listener()));
        Map<String, String> before = resourceVersions(cache.snapshot(NodeGroup.of("east")));
        long packed = cache.serializations();
        publish(List.of(catalog(EAST, 2, echo(false)), catalog(WEST_C, 1, api("10.1.1.1"))), T0);
        Map<String, String> after = resourceVersions(cache.snapshot(NodeGroup.of("east")));
        long changed = after.entrySet().stream().filter(e -> !e.getValue().equals(before.get(e.getKey()))).count();
        assertTrue(changed > 0 && changed < after.size() / 2, changed + " of " + after.size() + " changed");
        assertEquals(changed, cache.serializations() - packed);
    }

    private static Map<String, String> resourceVersions(Snapshot s) {
        Map<String, String> out = new TreeMap<>();
        s.types().forEach((type, t) -> t.resources().forEach((name, r) -> out.put(type + " " + name, r.version())));
        return out;
    }

    private void publish(List<ClusterCatalog> catalogs, Instant now) {
        cache.publish(new FederationSnapshot(catalogs, envoy, mcp, now));
    }

    private static Map<String, Map<String, String>> fullBuild(List<ClusterCatalog> catalogs, Instant now, NodeGroup group) {
        SnapshotCache fresh = new SnapshotCache();
        fresh.publish(new FederationSnapshot(catalogs, new EnvoyTranslator(EnvoyPolicy.DEFAULT),
                new FederationMcpTranslator(new IstioFederationTranslator()), now));
        try (ConfigWatcher.Watch w = fresh.watch(group, listener())) {
            return versions(w.current());
        }
    }

    private static Map<String, Map<String, String>> versions(Snapshot s) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        s.types().forEach((type, t) -> {
            Map<String, String> byName = new TreeMap<>();
            t.resources().forEach((name, r) -> byName.put(name, r.version()));
            out.put(type + " @" + t.version(), byName);
        });
        return out;
    }

    private static ConfigWatcher.SnapshotListener listener() {
        return new ConfigWatcher.SnapshotListener() {
            public void onSnapshot(Snapshot snapshot) {
            }

            public void onClusterRemoved(String cluster) {
            }
        };
    }
}
