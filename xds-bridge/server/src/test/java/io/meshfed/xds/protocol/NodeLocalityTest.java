package io.meshfed.xds.protocol;

import static io.meshfed.xds.AdsTestClient.envoyNode;
import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static io.meshfed.xds.protocol.AdsProtocolTest.EAST;
import static io.meshfed.xds.protocol.AdsProtocolTest.ECHO;
import static io.meshfed.xds.protocol.AdsProtocolTest.ack;
import static io.meshfed.xds.protocol.AdsProtocolTest.request;
import static io.meshfed.xds.protocol.AdsProtocolTest.unpack;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status.Code;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.Locality;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Node groups are keyed by localities meshfed knows, whatever localities clients write, and every client is still
 * served exactly what its own locality gives; streams per cluster identity are capped.
 */
class NodeLocalityTest {
    static final Locality EAST_B = new Locality("us-east", "b");
    static final Locality EAST_C = new Locality("us-east", "c");
    static final int STREAMS = 1_000;

    /** East's echo runs in us-east/a and us-east/b (and, when {@code withC}, us-east/c); west's behind its gateway. */
    static ClusterCatalog east(boolean withC) {
        var a = endpoint("10.1.0.1", AdsProtocolTest.EAST_A, true);
        var b = endpoint("10.1.0.2", EAST_B, true);
        return withC
                ? catalog(EAST, 2, grpcService("demo", "echo", 7070, 7070, a, b, endpoint("10.1.0.3", EAST_C, true)))
                : catalog(EAST, 1, grpcService("demo", "echo", 7070, 7070, a, b));
    }

    /** What the translator gives a node of east in {@code locality} ("region/zone"), asked for directly. */
    static ClusterLoadAssignment expected(String locality, ClusterCatalog... catalogs) {
        return (ClusterLoadAssignment) new EnvoyTranslator(EnvoyPolicy.DEFAULT)
                .translate(List.of(catalogs), new NodeGroup("east", locality), Fixtures.T0)
                .get(TypeUrls.ENDPOINT).get(ECHO);
    }

    /** Localities (region, zone) as priority 0, 1, ... lists. */
    static List<List<String>> priorities(ClusterLoadAssignment cla) {
        List<List<String>> out = new ArrayList<>();
        for (LocalityLbEndpoints l : cla.getEndpointsList()) {
            while (out.size() <= l.getPriority()) {
                out.add(new ArrayList<>());
            }
            out.get(l.getPriority()).add(l.getLocality().getRegion() + "/" + l.getLocality().getZone());
        }
        return out;
    }

    static DiscoveryRequest eds(String id, String region, String zone) {
        return request(TypeUrls.ENDPOINT, ECHO).setNode(envoyNode(id, "east", region, zone)).build();
    }

    @Test
    void aThousandInventedLocalitiesShareFourGroupsAndEachGetsItsOwnPriorities() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(null, STREAMS + 2)) { // above the default cap of 1,000
            ClusterCatalog east = east(false);
            ClusterCatalog west = west(false);
            bridge.publish(east, west);
            List<AdsTestClient> connections = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                connections.add(new AdsTestClient(bridge.port(), null));
            }
            try {
                List<String> localities = new ArrayList<>();
                List<AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse>> streams = new ArrayList<>();
                for (int i = 0; i < STREAMS; i++) {
                    // an invented region; an invented zone of a known region (two of them); not a locality at all
                    String[] rz = switch (i % 4) {
                        case 0 -> new String[] {"invented-" + i, "z"};
                        case 1 -> new String[] {"us-east", "invented-" + i};
                        case 2 -> new String[] {"us-west", "invented-" + i};
                        default -> new String[] {"not a locality #" + i, "?"};
                    };
                    var s = connections.get(i % connections.size()).sotw();
                    s.send(eds("invented-" + i, rz[0], rz[1]));
                    localities.add(rz[0] + "/" + rz[1]);
                    streams.add(s);
                }
                var honestB = connections.get(0).sotw();
                honestB.send(eds("honest-b", "us-east", "b"));
                var honestA = connections.get(1).sotw();
                honestA.send(eds("honest-a", "us-east", "a"));

                for (int i = 0; i < STREAMS; i++) {
                    ClusterLoadAssignment got = unpack(streams.get(i).next().getResources(0));
                    assertEquals(expected(localities.get(i), east, west), got, "stream " + i + " in " + localities.get(i));
                }
                ClusterLoadAssignment b = unpack(honestB.next().getResources(0));
                assertEquals(List.of(List.of("us-east/b"), List.of("us-east/a"), List.of("us-west/a")), priorities(b));
                assertEquals(List.of(List.of("us-east/a"), List.of("us-east/b"), List.of("us-west/a")),
                        priorities(unpack(honestA.next().getResources(0))));
                assertEquals(List.of(List.of("us-east/a", "us-east/b"), List.of("us-west/a")),
                        priorities(expected("us-east/invented-1", east, west)), "an unknown zone of a known region");
                assertEquals(List.of(List.of("us-east/a", "us-east/b", "us-west/a")),
                        priorities(expected("invented-0/z", east, west)), "an unknown region");

                assertEquals(Set.of(new NodeGroup("east", "unknown"), new NodeGroup("east", "us-east"),
                        new NodeGroup("east", "us-west"), NodeGroup.of("east"), new NodeGroup("east", "us-east/b"),
                        new NodeGroup("east", "us-east/a")), bridge.cache.liveGroups());
                assertEquals(STREAMS + 2, bridge.cache.watchCount());
                for (int i = 0; i < 500 && bridge.metrics.unknownLocalityStreams() < STREAMS; i++) {
                    Thread.sleep(10); // counted on the event loop, after the watch opened
                }
                assertEquals(STREAMS, bridge.metrics.unknownLocalityStreams(), "every invented locality, once");
                assertEquals(STREAMS, bridge.metrics.asMap().get("meshfed_xds_unknown_locality_streams_total"));
            } finally {
                for (AdsTestClient c : connections) {
                    c.close();
                }
            }
        }
    }

    @Test
    void aClientInALocalityNotKnownYetGetsItsOwnGroupOnceItIsKnownAndLosesItWhenItIsNot() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(null); AdsTestClient client = new AdsTestClient(bridge.port(), null)) {
            bridge.publish(east(false), west(false));
            var s = client.sotw();
            s.send(eds("new-zone", "us-east", "c"));
            DiscoveryResponse r1 = s.next();
            assertEquals(List.of(List.of("us-east/a", "us-east/b"), List.of("us-west/a")),
                    priorities(unpack(r1.getResources(0))));
            assertEquals(Set.of(new NodeGroup("east", "us-east")), bridge.cache.liveGroups());
            s.send(ack(r1, ECHO));

            // its zone's first workload is exported: the client moves to its own group and prefers that workload
            bridge.publish(east(true), west(false));
            DiscoveryResponse r2 = s.next();
            assertEquals(expected("us-east/c", east(true), west(false)), unpack(r2.getResources(0)));
            assertEquals(List.of(List.of("us-east/c"), List.of("us-east/a", "us-east/b"), List.of("us-west/a")),
                    priorities(unpack(r2.getResources(0))));
            assertEquals(Set.of(new NodeGroup("east", "us-east/c")), bridge.cache.liveGroups(), "the stand-in is dropped");
            s.send(ack(r2, ECHO));

            // and back when the zone is gone again
            bridge.publish(east(false), west(false));
            DiscoveryResponse r3 = s.next();
            assertEquals(r1.getVersionInfo(), r3.getVersionInfo());
            assertEquals(Set.of(new NodeGroup("east", "us-east")), bridge.cache.liveGroups());
            assertEquals(1, bridge.metrics.unknownLocalityStreams(), "one stream, counted once");
        }
    }

    @Test
    void streamsBeyondAClustersCapGetResourceExhaustedAndAClosedStreamFreesItsPlace() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(null, 2);
                AdsTestClient client = new AdsTestClient(bridge.port(), null)) {
            bridge.publish(east(false), west(false));
            var first = client.sotw();
            first.send(eds("e-1", "us-east", "a"));
            first.next();
            var second = client.sotw();
            second.send(eds("e-2", "us-east", "a"));
            second.next();

            var third = client.sotw();
            third.send(eds("e-3", "us-east", "a"));
            io.grpc.Status st = third.status();
            assertEquals(Code.RESOURCE_EXHAUSTED, st.getCode());
            assertEquals("cluster 'east' already has 2 open xDS streams, the most the bridge serves per cluster"
                    + " (node 'e-3')", st.getDescription());

            var westGw = client.sotw();
            westGw.send(request(TypeUrls.ENDPOINT, ECHO).setNode(envoyNode("w-1", "west", "us-west", "a")).build());
            assertEquals(1, westGw.next().getResourcesCount(), "another cluster has its own cap");

            first.cancel();
            for (int i = 0; i < 500 && bridge.metrics.streamsOpen() > 2; i++) {
                Thread.sleep(10);
            }
            var fourth = client.sotw();
            fourth.send(eds("e-4", "us-east", "a"));
            assertEquals(1, fourth.next().getResourcesCount(), "a closed stream frees its place");
            assertTrue(bridge.metrics.rejectedStreams() >= 1);
        }
    }
}
