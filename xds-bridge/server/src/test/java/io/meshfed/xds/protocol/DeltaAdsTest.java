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
            assertEquals("meshfed-xds-bridge", cds.getControlPlane().getIdentifier(), "named on a type's first response");
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
            assertEquals(false, changed.hasControlPlane(), "Envoy keeps the identifier: not repeated on every push");
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

    /**
     * A client that held many resources reconnects with a version for each (an Envoy holding 10,000 clusters sends
     * ~650 KB, over the gRPC transport's 256 KiB default): it is answered; a request over the bridge's limit is
     * refused with a status that says so, and the stream is not left hanging.
     */
    @Test
    void aReconnectNamingManyHeldVersionsIsAcceptedAndAnOversizedRequestRefused() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(null);
                AdsTestClient client = new AdsTestClient(bridge.port(), null)) {
            bridge.publish(east(1, "10.1.0.1"), west(true));
            Map<String, String> held = new java.util.HashMap<>();
            for (int i = 0; i < 10_000; i++) {
                held.put("outbound|8080||svc-" + i + ".ns-" + (i % 100) + ".svc.cluster-" + (i % 100) + ".global",
                        "5eac3dd1f02d661b");
            }
            var s = client.delta();
            DeltaDiscoveryRequest big = DeltaDiscoveryRequest.newBuilder()
                    .setNode(envoyNode("gw-d", "east", "us-east", "a")).setTypeUrl(TypeUrls.CLUSTER)
                    .addResourceNamesSubscribe("*").putAllInitialResourceVersions(held).build();
            org.junit.jupiter.api.Assertions.assertTrue(big.getSerializedSize() > 256 * 1024, big.getSerializedSize() + " bytes");
            s.send(big);
            DeltaDiscoveryResponse resumed = s.next();
            assertEquals(List.of(ECHO, CART), names(resumed), "what the client did not hold at its version");
            org.junit.jupiter.api.Assertions.assertTrue(resumed.getRemovedResourcesList().containsAll(held.keySet()),
                    "the names it held that do not exist are removed");

            var huge = client.delta();
            StringBuilder name = new StringBuilder();
            while (name.length() < AdsServer.MAX_REQUEST_BYTES + 1024) {
                name.append("outbound|8080||a-very-long-service-name.demo.svc.clusterset.local/");
            }
            huge.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-e", "east", "us-east", "a"))
                    .setTypeUrl(TypeUrls.CLUSTER).addResourceNamesSubscribe(name.toString()).build());
            io.grpc.Status status = huge.status();
            assertEquals(Code.RESOURCE_EXHAUSTED, status.getCode());
            org.junit.jupiter.api.Assertions.assertTrue(status.getDescription().contains("bytes the bridge accepts"),
                    status.getDescription());
        }
    }

    /**
     * Applies every Delta response of a wildcard CDS stream to a local view while generations are published
     * back to back (so pushes coalesce and the stream reconciles across several generations at once), then
     * checks the view equals what a new stream receives, and that no removal named a resource the client did
     * not hold.
     */
    @Test
    void wildcardViewStaysExactWhenPushesCoalesce() throws Exception {
        java.util.Random random = new java.util.Random(42);
        try (BridgeHarness bridge = new BridgeHarness(null);
                AdsTestClient client = new AdsTestClient(bridge.port(), null)) {
            bridge.publish(east(1, "10.1.0.1"), westWith(random, 1));
            var s = client.delta();
            s.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                    .setTypeUrl(TypeUrls.CLUSTER).build());
            Map<String, String> view = new java.util.TreeMap<>();
            apply(view, s.next(), s);
            for (int generation = 2; generation <= 40; generation++) {
                bridge.publish(east(1, "10.1.0.1"), westWith(random, generation));
                if (generation % 7 == 0) {
                    drain(view, s, 50);
                }
            }
            drain(view, s, 1000);

            var fresh = client.delta();
            fresh.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-new", "east", "us-east", "a"))
                    .setTypeUrl(TypeUrls.CLUSTER).build());
            DeltaDiscoveryResponse all = fresh.next();
            Map<String, String> expected = new java.util.TreeMap<>(all.getResourcesList().stream()
                    .collect(Collectors.toMap(Resource::getName, Resource::getVersion)));
            assertEquals(expected, view, "the incremental view equals the current state");
        }
    }

    /** west exporting a random subset of ten services, each with an endpoint address that varies. */
    private static io.meshfed.model.ClusterCatalog westWith(java.util.Random random, long version) {
        List<io.meshfed.model.ExportedService> services = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            if (random.nextInt(3) > 0) {
                services.add(io.meshfed.xds.Fixtures.grpcService("shop", "svc-" + i, 8080, 8080,
                        io.meshfed.xds.Fixtures.endpoint("10.2.0." + (1 + random.nextInt(3)), AdsProtocolTest.WEST_A, true)));
            }
        }
        return io.meshfed.xds.Fixtures.catalog(AdsProtocolTest.WEST, version,
                services.toArray(io.meshfed.model.ExportedService[]::new));
    }

    private static void apply(Map<String, String> view, DeltaDiscoveryResponse r,
            AdsTestClient.Recorded<DeltaDiscoveryRequest, DeltaDiscoveryResponse> s) {
        for (String removed : r.getRemovedResourcesList()) {
            assertEquals(true, view.containsKey(removed), "removal of '" + removed + "', which the client did not hold");
            view.remove(removed);
        }
        r.getResourcesList().forEach(res -> view.put(res.getName(), res.getVersion()));
        s.send(ack(r));
    }

    /** Applies responses until none arrives for {@code quietMillis}. */
    private static void drain(Map<String, String> view,
            AdsTestClient.Recorded<DeltaDiscoveryRequest, DeltaDiscoveryResponse> s, long quietMillis) throws Exception {
        for (DeltaDiscoveryResponse r; (r = s.responses.poll(quietMillis, java.util.concurrent.TimeUnit.MILLISECONDS)) != null; ) {
            apply(view, r, s);
        }
    }
}
