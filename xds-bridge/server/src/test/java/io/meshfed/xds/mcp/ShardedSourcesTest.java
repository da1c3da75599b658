package io.meshfed.xds.mcp;

import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static io.meshfed.xds.mcp.IstiodLikeMcpClientTest.EAST;
import static io.meshfed.xds.mcp.IstiodLikeMcpClientTest.EAST_A;
import static io.meshfed.xds.mcp.IstiodLikeMcpClientTest.SE;
import static io.meshfed.xds.mcp.IstiodLikeMcpClientTest.WEST;
import static io.meshfed.xds.mcp.IstiodLikeMcpClientTest.WEST_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.protocol.Shard;
import io.meshfed.xds.mcp.proto.mcp.Resource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An istiod that splits its Istio resources over three config sources ({@code 127.0.3.1} to {@code 127.0.3.3}, one
 * stream each): the three shares are disjoint and together exactly what one unsharded source gets, and a change of
 * one service re-sends only the share that holds its ServiceEntry.
 */
class ShardedSourcesTest {
    private static Node istiodNode(String cluster) {
        return Node.newBuilder().setId("sidecar~10.1.0.5~istiod-7d9c.istio-system~istio-system.svc.cluster.local")
                .setMetadata(Struct.newBuilder().putFields("CLUSTER_ID", Value.newBuilder().setStringValue(cluster)
                        .build()).putFields("GENERATOR", Value.newBuilder().setStringValue("api").build()))
                .build();
    }

    /** West's 30 services; with {@code svc7Scaled}, svc7 has a second endpoint (its gateway weight changes). */
    private static ClusterCatalog west(long version, boolean svc7Scaled) {
        List<ExportedService> services = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            services.add(i == 7 && svc7Scaled
                    ? grpcService("shop", "svc" + i, 8080, 8080, endpoint("10.2.0.17", WEST_A, true),
                            endpoint("10.2.0.99", WEST_A, true))
                    : grpcService("shop", "svc" + i, 8080, 8080, endpoint("10.2.0." + (10 + i), WEST_A, true)));
        }
        return catalog(WEST, version, services.toArray(ExportedService[]::new));
    }

    private static ClusterCatalog east() {
        return catalog(EAST, 1, grpcService("demo", "echo", 7070, 7070, endpoint("10.1.0.1", EAST_A, true)));
    }

    private static Set<String> names(DiscoveryResponse r) throws Exception {
        Set<String> out = new TreeSet<>();
        for (com.google.protobuf.Any any : r.getResourcesList()) {
            out.add(any.unpack(Resource.class).getMetadata().getName());
        }
        return out;
    }

    private static final String WE = "networking.istio.io/v1/WorkloadEntry";

    private static DiscoveryResponse subscribe(AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse> s,
            String type) throws Exception {
        s.send(DiscoveryRequest.newBuilder().setNode(istiodNode("east")).setTypeUrl(type).build());
        DiscoveryResponse r = s.next();
        s.send(DiscoveryRequest.newBuilder().setTypeUrl(type).setVersionInfo(r.getVersionInfo())
                .setResponseNonce(r.getNonce()).build());
        return r;
    }

    @Test
    void threeSourcesSplitTheServiceEntriesAndAChangeReSendsOnlyItsShare() throws Exception {
        List<AdsTestClient> clients = new ArrayList<>();
        try (BridgeHarness bridge = new BridgeHarness(FederationMcpTranslator.incremental(
                new IstioFederationTranslator()))) {
            bridge.publish(east(), west(1, false));
            AdsTestClient whole = new AdsTestClient(bridge.port(), "east.xds.meshfed.example:15010");
            clients.add(whole);
            var wholeEntries = whole.sotw();
            assertTrue(names(subscribe(wholeEntries, SE)).size() > 30, "west's services and the clusterset entries");
            // the endpoints: one WorkloadEntry per (service, exporting cluster) behind a gateway
            Set<String> all = names(subscribe(wholeEntries, WE));
            assertTrue(all.size() >= 30, "an entry for each of west's services: " + all.size());

            List<AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse>> shards = new ArrayList<>();
            Set<String> union = new HashSet<>();
            int total = 0;
            for (int k = 1; k <= 3; k++) {
                AdsTestClient source = new AdsTestClient(bridge.port(), "127.0.3." + k + ":15011");
                clients.add(source);
                var s = source.sotw();
                Set<String> share = names(subscribe(s, WE));
                assertFalse(share.isEmpty(), "shard " + k + " holds some of " + all.size());
                total += share.size();
                union.addAll(share);
                for (String name : share) {
                    assertTrue(new Shard(k, 3).holds(name), name + " is shard " + k + "'s");
                }
                shards.add(s);
            }
            assertEquals(all, union, "together exactly what one source gets");
            assertEquals(all.size(), total, "disjoint");

            // svc7 scales out in west: the weight of its gateway endpoint changes; only the shares holding its
            // WorkloadEntry re-send, and no ServiceEntry changes.
            bridge.publish(east(), west(2, true));
            Set<String> changed = new TreeSet<>();
            int answered = 0;
            for (int k = 1; k <= 3; k++) {
                DiscoveryResponse r = shards.get(k - 1).responses.poll(2, TimeUnit.SECONDS);
                if (r == null) {
                    continue;
                }
                answered++;
                for (String name : names(r)) {
                    assertTrue(new Shard(k, 3).holds(name));
                }
                changed.add("shard " + k);
                DiscoveryResponse again = shards.get(k - 1).responses.poll(300, TimeUnit.MILLISECONDS);
                assertNull(again, "one response per change");
            }
            Set<String> expected = new TreeSet<>();
            for (String name : all) {
                if (name.startsWith("shop/svc7.west.global.")) {
                    for (int k = 1; k <= 3; k++) {
                        if (new Shard(k, 3).holds(name)) {
                            expected.add("shard " + k);
                        }
                    }
                }
            }
            assertFalse(expected.isEmpty(), "svc7's entries are served: " + all);
            assertEquals(expected, changed, "only the shares holding svc7's entries were re-sent");
            assertTrue(answered < 3 || expected.size() == 3);
            // the unsharded source gets the new WorkloadEntries and no ServiceEntry response
            DiscoveryResponse pushed = wholeEntries.next();
            assertEquals(WE, pushed.getTypeUrl(), "the endpoint change reaches the entries, not the ServiceEntries");
            assertNull(wholeEntries.responses.poll(500, TimeUnit.MILLISECONDS), "no ServiceEntry push");
        } finally {
            for (AdsTestClient c : clients) {
                c.close();
            }
        }
    }

    @Test
    void onlyLoopbackAddressesOfTheShardFormNameAShard() {
        assertEquals(Optional.of(new Shard(2, 4)), Shard.fromAuthority("127.0.4.2:15011"));
        assertEquals(Optional.of(new Shard(4, 4)), Shard.fromAuthority("127.0.4.4"));
        for (String other : List.of("127.0.0.1:15011", "127.0.4.5:15011", "127.0.4.0", "127.1.4.2", "10.0.4.2",
                "east.xds.meshfed.example:15010", "127.0.65.1", "[::1]:15011", "")) {
            assertEquals(Optional.empty(), Shard.fromAuthority(other), other);
        }
        int[] counts = new int[8];
        for (int i = 0; i < 8000; i++) {
            for (int k = 1; k <= 8; k++) {
                if (new Shard(k, 8).holds("shop/svc" + i + ".west.global")) {
                    counts[k - 1]++;
                }
            }
        }
        for (int c : counts) {
            assertTrue(c > 800 && c < 1200, "an even spread over 8 shards: " + java.util.Arrays.toString(counts));
        }
    }
}
