package io.meshfed.xds.protocol;

import static io.meshfed.xds.AdsTestClient.envoyNode;
import static io.meshfed.xds.protocol.AdsProtocolTest.CART;
import static io.meshfed.xds.protocol.AdsProtocolTest.ECHO;
import static io.meshfed.xds.protocol.AdsProtocolTest.east;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Status.Code;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.cache.TypeUrls;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Incremental ADS: only changed resources travel, removals are named, reconnects resume from client versions. */
class DeltaAdsTest {

    static List<String> names(DeltaDiscoveryResponse r) {
        return r.getResourcesList().stream().map(Resource::getName).sorted().toList();
    }

    static DeltaDiscoveryRequest ack(DeltaDiscoveryResponse r) {
        return DeltaDiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setResponseNonce(r.getNonce()).build();
    }

    @Test
    void onlyChangedResourcesAreSentAndRemovalsAreNamed() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(null);
                AdsTestClient client = new AdsTestClient(bridge.port(), null)) {
            bridge.publish(east(1, "10.1.0.1"), west(true));
            var s = client.delta();
            s.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                    .setTypeUrl(TypeUrls.CLUSTER).build());
            DeltaDiscoveryResponse cds = s.next();
            assertEquals(List.of(ECHO, CART), names(cds), "legacy wildcard: every cluster");
            s.send(ack(cds));
            s.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT)
                    .addResourceNamesSubscribe(ECHO).addResourceNamesSubscribe(CART)
                    .addResourceNamesSubscribe("outbound|1||missing.demo.svc.clusterset.local").build());
            DeltaDiscoveryResponse eds = s.next();
            assertEquals(List.of(ECHO, CART), names(eds));
            assertEquals(List.of("outbound|1||missing.demo.svc.clusterset.local"), eds.getRemovedResourcesList(),
                    "a subscribed name that does not exist is reported as absent");
            s.send(ack(eds));

            // east's echo endpoint moves: east's EDS view of echo changes, nothing else.
            bridge.publish(east(2, "10.1.0.7"), west(true));
            DeltaDiscoveryResponse changed = s.next();
            assertEquals(TypeUrls.ENDPOINT, changed.getTypeUrl());
            assertEquals(List.of(ECHO), names(changed), "only the changed resource");
            assertEquals(0, changed.getRemovedResourcesCount());
            s.send(ack(changed));

            // west stops exporting cart: its cluster and endpoints are removed by name, CDS first.
            bridge.publish(east(2, "10.1.0.7"), west(false));
            DeltaDiscoveryResponse cdsRemoval = s.next();
            assertEquals(TypeUrls.CLUSTER, cdsRemoval.getTypeUrl());
            assertEquals(List.of(CART), cdsRemoval.getRemovedResourcesList());
            assertEquals(0, cdsRemoval.getResourcesCount());
            DeltaDiscoveryResponse edsRemoval = s.next();
            assertEquals(List.of(CART), edsRemoval.getRemovedResourcesList());
            s.send(ack(cdsRemoval));
            s.send(ack(edsRemoval));

            // a NACK is counted and shown; the stream goes on
            bridge.publish(east(3, "10.1.0.8"), west(false));
            DeltaDiscoveryResponse bad = s.next();
            s.send(ack(bad).toBuilder().setErrorDetail(com.google.rpc.Status.newBuilder().setMessage("rejected")).build());
            for (int i = 0; i < 500 && bridge.clients.all().get(0).types().get(TypeUrls.ENDPOINT).lastNack() == null; i++) {
                Thread.sleep(10);
            }
            assertEquals(1, bridge.metrics.nacks());
            assertEquals("rejected", bridge.clients.all().get(0).types().get(TypeUrls.ENDPOINT).lastNack().error());
        }
    }

    @Test
    void reconnectWithInitialVersionsGetsOnlyWhatDiffers() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(null);
                AdsTestClient client = new AdsTestClient(bridge.port(), null)) {
            bridge.publish(east(1, "10.1.0.1"), west(true));
            var s = client.delta();
            s.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                    .setTypeUrl(TypeUrls.CLUSTER).addResourceNamesSubscribe("*").build());
            DeltaDiscoveryResponse cds = s.next();
            Map<String, String> held = cds.getResourcesList().stream()
                    .collect(Collectors.toMap(Resource::getName, Resource::getVersion));
            s.halfClose();
            assertEquals(Code.OK, s.status().getCode());

            bridge.publish(east(1, "10.1.0.1"), west(false));
            var again = client.delta();
            again.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                    .setTypeUrl(TypeUrls.CLUSTER).addResourceNamesSubscribe("*").putAllInitialResourceVersions(held)
                    .build());
            DeltaDiscoveryResponse resumed = again.next();
            assertEquals(0, resumed.getResourcesCount(), "echo is unchanged and not re-sent");
            assertEquals(List.of(CART), resumed.getRemovedResourcesList(), "cart went away while disconnected");
        }
    }
}
