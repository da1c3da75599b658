package io.meshfed.xds.bridge;

import static io.meshfed.xds.Fixtures.T0;
import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.cache.ConfigWatcher;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.Snapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.TypeSnapshot;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 10,000 generations, each moving one of east's services to an endpoint address never seen before, published to a
 * cache whose Envoy and Istio groups are watched (so every generation is patched from the one before and every
 * change is translated and converted): afterwards the translators' memos hold no more results than the live
 * snapshots do, not one per change.
 */
class TranslatorMemoTest {
    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality WEST_A = new Locality("us-west", "a");
    static final MeshCluster EAST = cluster("east", "net-east", EAST_A, "192.0.2.10", 15443);
    static final MeshCluster WEST = cluster("west", "net-west", WEST_A, "192.0.2.20", 15443);
    static final int CHANGES = 10_000;
    static final int SERVICES = 10;
    static final List<NodeGroup> GROUPS = List.of(new NodeGroup("east", "us-east/a"), new NodeGroup("west", "us-west/a"),
            NodeGroup.istio("east"), NodeGroup.istio("west"));

    final EnvoyTranslator envoy = new EnvoyTranslator(EnvoyPolicy.DEFAULT);
    final FederationMcpTranslator mcp = FederationMcpTranslator.incremental(new IstioFederationTranslator());
    final SnapshotCache cache = new SnapshotCache();

    /** East's services; in generation {@code g} service {@code g % SERVICES} runs at an address unique to {@code g}. */
    static ClusterCatalog east(int generation, String[] addresses) {
        addresses[generation % SERVICES] = "10." + (1 + generation / 65_536) + "." + (generation / 256 % 256) + "."
                + (generation % 256);
        return catalog(EAST, generation, services(addresses));
    }

    static ExportedService[] services(String[] addresses) {
        List<ExportedService> services = new ArrayList<>();
        for (int i = 0; i < SERVICES; i++) {
            services.add(grpcService("shop", "svc-" + i, 8080, 8080, endpoint(addresses[i], EAST_A, true)));
        }
        return services.toArray(ExportedService[]::new);
    }

    static ClusterCatalog west() {
        List<ExportedService> services = new ArrayList<>();
        for (int i = 0; i < SERVICES; i++) {
            services.add(grpcService("demo", "api-" + i, 9090, 9090, endpoint("10.200.0." + (1 + i), WEST_A, true)));
        }
        return catalog(WEST, 1, services.toArray(ExportedService[]::new));
    }

    @Test
    void tenThousandChangesWithNewEndpointAddressesLeaveTheMemosBoundedByTheLiveSnapshots() throws Exception {
        String[] addresses = new String[SERVICES];
        for (int i = 0; i < SERVICES; i++) {
            addresses[i] = "10.250.0." + (1 + i);
        }
        ClusterCatalog west = west();
        cache.publish(new FederationSnapshot(List.of(catalog(EAST, 0, services(addresses)), west), envoy, mcp, T0));
        List<ConfigWatcher.Watch> watches = new ArrayList<>();
        for (NodeGroup g : GROUPS) {
            watches.add(cache.watch(g, new ConfigWatcher.SnapshotListener() {
                @Override
                public void onSnapshot(Snapshot snapshot) {
                }

                @Override
                public void onClusterRemoved(String cluster) {
                }
            }));
        }
        long serializedBefore = cache.serializations();
        for (int generation = 1; generation <= CHANGES; generation++) {
            cache.publish(new FederationSnapshot(List.of(east(generation, addresses), west), envoy, mcp, T0));
        }
        assertTrue(cache.serializations() - serializedBefore >= CHANGES, "every change was translated");

        int envoyLive = liveResources(GROUPS.subList(0, 2));
        int istioLive = liveResources(GROUPS.subList(2, 4));
        for (int i = 0; i < 50 && (envoy.memoSize() > envoyLive || mcp.memoSize() > istioLive); i++) {
            System.gc();
            Thread.sleep(20);
            // the cache's pool keys a resource by its message until it expunges the collected resource, which a
            // publish does and so does this (the next collection then finds the message unreachable)
            cache.pooledResources();
        }
        assertTrue(envoy.memoSize() <= envoyLive,
                "Envoy memos hold " + envoy.memoSize() + " results, the live snapshots " + envoyLive);
        assertTrue(mcp.memoSize() <= istioLive,
                "the MCP memo holds " + mcp.memoSize() + " conversions, the live snapshots " + istioLive);
        assertTrue(envoy.memoSize() > 0 && mcp.memoSize() > 0, "what live snapshots hold stays memoized");
        watches.forEach(ConfigWatcher.Watch::close);
    }

    /** Resources of the groups' current snapshots, counted once per group and type. */
    private int liveResources(List<NodeGroup> groups) {
        int n = 0;
        for (NodeGroup g : groups) {
            for (TypeSnapshot ts : cache.snapshot(g).types().values()) {
                n += ts.resources().size();
            }
        }
        return n;
    }
}
