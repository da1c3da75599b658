package io.meshfed.xds.protocol;

import static io.meshfed.xds.AdsTestClient.envoyNode;
import static io.meshfed.xds.protocol.AdsProtocolTest.CART;
import static io.meshfed.xds.protocol.AdsProtocolTest.east;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.cache.TypeUrls;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Two replicas built independently from the same catalogs (own caches, own translation), as two bridge pods
 * reading one store: versions are digests of content, so clients whose replica is killed mid-stream and who
 * reconnect to the other are sent nothing they hold (Delta: no resource; state of the world: the version they
 * ACKed), and then converge on the next change the surviving replica publishes.
 */
class ReplicaFailoverTest {
    private static final int STREAMS = 25;

    @Test
    void clientsOfAKilledReplicaReconnectToTheOtherAreSentNothingTheyHoldAndConverge() throws Exception {
        BridgeHarness a = new BridgeHarness(null);
        List<AdsTestClient> clients = new ArrayList<>();
        try (BridgeHarness b = new BridgeHarness(null)) {
            a.publish(east(1, "10.1.0.1"), west(true));
            b.publish(east(1, "10.1.0.1"), west(true));

            List<Map<String, String>> deltaHeld = new ArrayList<>();
            List<DiscoveryResponse> sotwAcked = new ArrayList<>();
            List<AdsTestClient.Recorded<?, ?>> onA = new ArrayList<>();
            AdsTestClient toA = new AdsTestClient(a.port(), null);
            clients.add(toA);
            for (int i = 0; i < STREAMS; i++) {
                var d = toA.delta();
                d.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d" + i, "east", "us-east", "a"))
                        .setTypeUrl(TypeUrls.CLUSTER).addResourceNamesSubscribe("*").build());
                DeltaDiscoveryResponse cds = d.next();
                deltaHeld.add(cds.getResourcesList().stream()
                        .collect(Collectors.toMap(Resource::getName, Resource::getVersion)));
                d.send(DeltaAdsTest.ack(cds));
                var s = toA.sotw();
                s.send(DiscoveryRequest.newBuilder().setNode(envoyNode("gw-s" + i, "east", "us-east", "a"))
                        .setTypeUrl(TypeUrls.CLUSTER).build());
                DiscoveryResponse sotw = s.next();
                s.send(AdsProtocolTest.ack(sotw));
                sotwAcked.add(sotw);
                onA.add(d);
                onA.add(s);
            }

            a.close(); // the replica is killed: every stream on it ends
            for (var stream : onA) {
                stream.end.get(15, TimeUnit.SECONDS);
            }

            long sentBefore = b.metrics.resourcesSent.get();
            AdsTestClient toB = new AdsTestClient(b.port(), null);
            clients.add(toB);
            List<AdsTestClient.Recorded<DeltaDiscoveryRequest, DeltaDiscoveryResponse>> deltas = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                var d = toB.delta();
                d.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d" + i, "east", "us-east", "a"))
                        .setTypeUrl(TypeUrls.CLUSTER).addResourceNamesSubscribe("*")
                        .putAllInitialResourceVersions(deltaHeld.get(i)).build());
                deltas.add(d);
                var s = toB.sotw();
                DiscoveryResponse acked = sotwAcked.get(i);
                s.send(DiscoveryRequest.newBuilder().setNode(envoyNode("gw-s" + i, "east", "us-east", "a"))
                        .setTypeUrl(TypeUrls.CLUSTER).setVersionInfo(acked.getVersionInfo()).build());
                DiscoveryResponse again = s.next();
                assertEquals(acked.getVersionInfo(), again.getVersionInfo(), "the version it ACKed on the other replica");
                assertEquals(acked.getResourcesList(), again.getResourcesList(), "byte for byte the same resources");
                s.send(AdsProtocolTest.ack(again));
            }
            for (int i = 0; i < 500 && b.clients.all().size() < 2 * STREAMS; i++) {
                Thread.sleep(10);
            }
            assertEquals(2 * STREAMS, b.clients.all().size(), "every client reconnected to the surviving replica");
            int deltaResources = 0;
            for (var d : deltas) {
                DeltaDiscoveryResponse first = d.responses.poll(200, TimeUnit.MILLISECONDS);
                if (first != null) {
                    deltaResources += first.getResourcesCount() + first.getRemovedResourcesCount();
                    d.send(DeltaAdsTest.ack(first));
                }
            }
            assertEquals(0, deltaResources, "Delta clients with unchanged state were re-sent nothing");
            assertEquals(STREAMS * (long) sotwAcked.get(0).getResourcesCount(),
                    b.metrics.resourcesSent.get() - sentBefore,
                    "the replica sent only the state-of-the-world clients their (unchanged) state");

            // The surviving replica publishes a change: every client converges on it.
            b.publish(east(1, "10.1.0.1"), west(false));
            for (var d : deltas) {
                DeltaDiscoveryResponse removal = d.next();
                assertEquals(List.of(CART), removal.getRemovedResourcesList());
                assertEquals(0, removal.getResourcesCount(), "only the removal travels");
            }
            assertTrue(b.clients.all().stream().allMatch(c -> c.types().containsKey(TypeUrls.CLUSTER)));
        } finally {
            for (AdsTestClient c : clients) {
                c.close();
            }
            a.close(); // a second close of the killed replica is a no-op; this one covers an early failure
        }
    }
}
