package io.meshfed.xds.bridge;

import static io.meshfed.xds.Fixtures.T0;
import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.Locality;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link FederationSnapshot#groupFor}: a known locality keeps its group, any other is served by a stand-in group
 * whose resources are exactly its own, chosen so it never collides with a known locality.
 */
class GroupForTest {
    final EnvoyTranslator envoy = new EnvoyTranslator(EnvoyPolicy.DEFAULT);

    /**
     * Known: us-east (no zone), us-east/a, us-east/unknown, and a region literally named "unknown" — so each
     * stand-in has to step aside.
     */
    final List<ClusterCatalog> catalogs = List.of(
            catalog(cluster("east", "net-east", new Locality("us-east", "a"), "192.0.2.10", 15443), 1,
                    grpcService("demo", "echo", 7070, 7070,
                            endpoint("10.1.0.1", new Locality("us-east", "a"), true),
                            endpoint("10.1.0.2", Locality.of("us-east"), true),
                            endpoint("10.1.0.3", new Locality("us-east", "unknown"), false))),
            catalog(cluster("west", "net-west", Locality.of("unknown"), "192.0.2.20", 15443), 1,
                    grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", Locality.of("unknown"), true))));
    final FederationSnapshot generation = new FederationSnapshot(catalogs, envoy, null, T0);

    NodeGroup groupFor(String locality) {
        return generation.groupFor(new NodeGroup("east", locality));
    }

    @Test
    void knownLocalitiesKeepTheirGroupsAndOthersGetAStandInWithExactlyTheirResources() {
        assertEquals(new NodeGroup("east", "us-east/a"), groupFor("us-east/a"));
        assertEquals(new NodeGroup("east", "us-east"), groupFor("us-east"));
        assertEquals(new NodeGroup("east", "unknown"), groupFor("unknown"));
        assertEquals(NodeGroup.of("east"), groupFor(""));
        assertEquals(new NodeGroup("east", "us-east/unknown-2"), groupFor("us-east/zz"), "bare region and 'unknown' taken");
        assertEquals(new NodeGroup("east", "unknown-2"), groupFor("mars/x"), "region 'unknown' taken");
        assertEquals(NodeGroup.of("east"), groupFor("not a locality/?"), "served as the cluster's own, as translated");
        assertEquals(NodeGroup.istio("east"), generation.groupFor(NodeGroup.istio("east")));

        for (String locality : List.of("us-east/zz", "us-east/b", "mars/x", "mars", "unknown/b", "not a locality/?",
                "us-east/a", "us-east")) {
            NodeGroup standIn = groupFor(locality);
            assertEquals(standIn, generation.groupFor(standIn), "a stand-in stands for itself: " + locality);
            assertEquals(envoy.translate(catalogs, new NodeGroup("east", locality), T0),
                    generation.resources(standIn), "resources of " + locality);
        }
    }
}
