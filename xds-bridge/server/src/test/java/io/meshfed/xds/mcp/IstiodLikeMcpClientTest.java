package io.meshfed.xds.mcp;

import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meshfed.federation.FederationConfig;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.mcp.proto.mcp.Resource;
import io.meshfed.xds.protocol.ClientStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A client that behaves like istiod's config-source client (istio {@code pkg/adsc}): node id
 * {@code sidecar~ip~pod.ns~ns.svc.cluster.local}, metadata GENERATOR=api and ISTIO_VERSION only, the cluster told by
 * the host it dialed, an initial request per type that already carries a response_nonce (a timestamp), an ACK for
 * every response, and reconnects. It must receive exactly the federation translator's output for its cluster,
 * an answer for every type (empty ones included), and the full state of a type on every change.
 */
class IstiodLikeMcpClientTest {
    /** What an Istio 1.24+ istiod asks for (MeshConfig first, then every Pilot GVK). */
    static final List<String> ISTIO_124_TYPES = List.of(
            "core/v1alpha1/MeshConfig",
            "networking.istio.io/v1/ServiceEntry", "networking.istio.io/v1/DestinationRule",
            "networking.istio.io/v1/Gateway", "networking.istio.io/v1/VirtualService",
            "networking.istio.io/v1/Sidecar", "networking.istio.io/v1/WorkloadEntry",
            "networking.istio.io/v1/WorkloadGroup", "networking.istio.io/v1alpha3/EnvoyFilter",
            "networking.istio.io/v1beta1/ProxyConfig", "security.istio.io/v1/AuthorizationPolicy",
            "security.istio.io/v1/PeerAuthentication", "security.istio.io/v1/RequestAuthentication",
            "telemetry.istio.io/v1/Telemetry", "extensions.istio.io/v1alpha1/WasmPlugin");
    static final String SE = "networking.istio.io/v1/ServiceEntry";
    static final String DR = "networking.istio.io/v1/DestinationRule";
    static final String GW = "networking.istio.io/v1/Gateway";
    static final String WE = "networking.istio.io/v1/WorkloadEntry";

    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality WEST_A = new Locality("us-west", "a");
    static final MeshCluster EAST = cluster("east", "net-east", EAST_A, "192.0.2.10", 15443);
    static final MeshCluster WEST = cluster("west", "net-west", WEST_A, "192.0.2.20", 15443);

    final IstioFederationTranslator translator = new IstioFederationTranslator();

    static Node istiodNode() {
        return Node.newBuilder().setId("sidecar~10.1.0.5~istiod-7d9c.istio-system~istio-system.svc.cluster.local")
                .setMetadata(Struct.newBuilder()
                        .putFields("GENERATOR", Value.newBuilder().setStringValue("api").build())
                        .putFields("ISTIO_VERSION", Value.newBuilder().setStringValue("1.24.2").build()))
                .build();
    }

    static List<ClusterCatalog> catalogs(boolean withCart) {
        ClusterCatalog east = catalog(EAST, 1, grpcService("demo", "echo", 7070, 7070, endpoint("10.1.0.1", EAST_A, true)));
        ClusterCatalog west = withCart
                ? catalog(WEST, 1, grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", WEST_A, true)),
                        grpcService("shop", "cart", 8080, 8081, endpoint("10.2.0.2", WEST_A, true)))
                : catalog(WEST, 2, grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", WEST_A, true)));
        return List.of(east, west);
    }

    @Test
    void istiodGetsEveryTypeAnsweredWithExactlyTheTranslatorsOutputThenDeletionsThenFullStateOnReconnect()
            throws Exception {
        // the bridge keeps incremental per-target state; the expectation is the translator's full translation
        try (BridgeHarness bridge = new BridgeHarness(FederationMcpTranslator.incremental(translator));
                AdsTestClient istiod = new AdsTestClient(bridge.port(), "east.xds.meshfed.example:15010")) {
            bridge.publish(catalogs(true).toArray(ClusterCatalog[]::new));

            var stream = istiod.sotw();
            Map<String, DiscoveryResponse> first = subscribeAll(stream, "2026-01-01 00:00:00.1 +0000 UTC m=+0.5");
            assertEquals(ISTIO_124_TYPES.size(), first.size(), "an answer for every type asked");
            FederationConfig expected = translator.translate(catalogs(true), "east", Fixtures.T0);
            assertFalse(expected.serviceEntries().isEmpty());
            assertEquals(expectedResources(expected.serviceEntries()), received(first.get(SE)));
            assertEquals(expectedResources(expected.destinationRules()), received(first.get(DR)));
            assertEquals(expectedResources(expected.gateways()), received(first.get(GW)));
            assertFalse(expected.workloadEntries().isEmpty());
            assertEquals(expectedResources(expected.workloadEntries()), received(first.get(WE)));
            for (String type : ISTIO_124_TYPES) {
                if (!type.equals(SE) && !type.equals(DR) && !type.equals(GW) && !type.equals(WE)) {
                    assertEquals(0, first.get(type).getResourcesCount(), type + " is answered, empty");
                }
            }

            // west stops exporting cart: the changed types arrive with their full new state, cart gone.
            String virtualServiceNonce = first.get("networking.istio.io/v1/VirtualService").getNonce();
            bridge.publish(catalogs(false).toArray(ClusterCatalog[]::new));
            FederationConfig after = translator.translate(catalogs(false), "east", Fixtures.T0);
            Map<String, DiscoveryResponse> pushed = new HashMap<>();
            while (!pushed.containsKey(SE) || !pushed.containsKey(DR) || !pushed.containsKey(WE)) {
                DiscoveryResponse r = stream.next();
                pushed.put(r.getTypeUrl(), r);
                ack(stream, r);
            }
            assertEquals(expectedResources(after.serviceEntries()), received(pushed.get(SE)));
            assertEquals(expectedResources(after.destinationRules()), received(pushed.get(DR)));
            assertEquals(expectedResources(after.workloadEntries()), received(pushed.get(WE)));
            assertTrue(received(first.get(SE)).keySet().stream().anyMatch(n -> n.startsWith("shop/")));
            assertFalse(received(pushed.get(SE)).keySet().stream().anyMatch(n -> n.startsWith("shop/")),
                    "cart's ServiceEntry is deleted by leaving it out of the full state");
            ClientStatus status = bridge.clients.all().get(0);
            assertEquals("east", status.cluster());
            assertEquals(virtualServiceNonce, status.types().get("networking.istio.io/v1/VirtualService").sentNonce(),
                    "a type whose content did not change is not pushed again");

            // istiod reconnects: its first requests carry nonces of the old stream; it gets the full state again.
            stream.halfClose();
            var again = istiod.sotw();
            Map<String, DiscoveryResponse> second = subscribeAll(again, first.get(SE).getNonce());
            assertEquals(received(pushed.get(SE)), received(second.get(SE)));
            assertEquals(ISTIO_124_TYPES.size(), second.size());
            assertEquals(0, bridge.metrics.nacks());
        }
    }

    @Test
    void olderIstiodApiVersionsGetTheSameResources() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(new FederationMcpTranslator(translator));
                AdsTestClient istiod = new AdsTestClient(bridge.port(), "east.xds.meshfed.example")) {
            bridge.publish(catalogs(true).toArray(ClusterCatalog[]::new));
            var v1 = istiod.sotw();
            v1.send(DiscoveryRequest.newBuilder().setNode(istiodNode()).setTypeUrl(SE).build());
            var old = istiod.sotw();
            old.send(DiscoveryRequest.newBuilder().setNode(istiodNode())
                    .setTypeUrl("networking.istio.io/v1alpha3/ServiceEntry").build());
            DiscoveryResponse a = v1.next();
            DiscoveryResponse b = old.next();
            assertEquals("networking.istio.io/v1alpha3/ServiceEntry", b.getTypeUrl());
            assertEquals(a.getResourcesList(), b.getResourcesList());
            assertTrue(a.getResourcesCount() > 0);
        }
    }

    private static Map<String, DiscoveryResponse> subscribeAll(
            AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse> stream, String initialNonce) throws Exception {
        boolean firstRequest = true;
        for (String type : ISTIO_124_TYPES) {
            DiscoveryRequest.Builder req = DiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(initialNonce);
            if (firstRequest) {
                req.setNode(istiodNode());
                firstRequest = false;
            }
            stream.send(req.build());
        }
        Map<String, DiscoveryResponse> byType = new TreeMap<>();
        List<String> order = new ArrayList<>();
        while (byType.size() < ISTIO_124_TYPES.size()) {
            DiscoveryResponse r = stream.next();
            byType.put(r.getTypeUrl(), r);
            order.add(r.getTypeUrl());
            ack(stream, r);
        }
        assertEquals(ISTIO_124_TYPES, order, "answered in the order asked");
        return byType;
    }

    /**
     * Envoy and Istio configuration live in separate node groups; a stream that asks for both kinds watches both
     * and gets each from its own group, and closing it releases both.
     */
    @Test
    void oneStreamAskingForBothKindsWatchesBothGroups() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(FederationMcpTranslator.incremental(translator));
                AdsTestClient client = new AdsTestClient(bridge.port(), "east.xds.meshfed.example:15010")) {
            bridge.publish(catalogs(true).toArray(ClusterCatalog[]::new));
            var stream = client.sotw();
            stream.send(DiscoveryRequest.newBuilder().setNode(istiodNode())
                    .setTypeUrl(io.meshfed.xds.cache.TypeUrls.CLUSTER).build());
            DiscoveryResponse cds = stream.next();
            assertEquals(io.meshfed.xds.cache.TypeUrls.CLUSTER, cds.getTypeUrl());
            assertEquals(java.util.Set.of(io.meshfed.xds.cache.NodeGroup.of("east")), bridge.cache.liveGroups(),
                    "an Envoy-only stream builds no Istio configuration");
            stream.send(DiscoveryRequest.newBuilder().setTypeUrl(SE).build());
            DiscoveryResponse se = stream.next();
            FederationConfig expected = translator.translate(catalogs(true), "east", Fixtures.T0);
            assertEquals(expectedResources(expected.serviceEntries()), received(se));
            assertFalse(cds.getResourcesList().isEmpty());
            assertEquals(java.util.Set.of(io.meshfed.xds.cache.NodeGroup.of("east"),
                    io.meshfed.xds.cache.NodeGroup.istio("east")), bridge.cache.liveGroups());
            assertEquals(0, bridge.cache.snapshot(io.meshfed.xds.cache.NodeGroup.of("east")).resources(SE).resources().size(),
                    "the Envoy group holds no Istio resources");
            stream.cancel();
            for (int i = 0; i < 500 && bridge.cache.watchCount() > 0; i++) {
                Thread.sleep(10);
            }
            assertEquals(0, bridge.cache.watchCount());
            assertEquals(java.util.Set.of(), bridge.cache.liveGroups());
        }
    }

    private static void ack(AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse> stream, DiscoveryResponse r) {
        stream.send(DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                .setResponseNonce(r.getNonce()).build());
    }

    /** name -> (labels, body) of what the client received. */
    private static Map<String, List<Object>> received(DiscoveryResponse r) throws Exception {
        Map<String, List<Object>> out = new TreeMap<>();
        for (com.google.protobuf.Any any : r.getResourcesList()) {
            Resource res = any.unpack(Resource.class);
            String t = res.getBody().getTypeUrl();
            Message body = t.endsWith(".ServiceEntry")
                    ? res.getBody().unpack(io.meshfed.xds.mcp.proto.networking.ServiceEntry.class)
                    : t.endsWith(".DestinationRule")
                            ? res.getBody().unpack(io.meshfed.xds.mcp.proto.networking.DestinationRule.class)
                            : t.endsWith(".WorkloadEntry")
                                    ? res.getBody().unpack(io.meshfed.xds.mcp.proto.networking.WorkloadEntry.class)
                                    : res.getBody().unpack(io.meshfed.xds.mcp.proto.networking.Gateway.class);
            assertFalse(out.containsKey(res.getMetadata().getName()), "no duplicate names");
            out.put(res.getMetadata().getName(), List.of(res.getMetadata().getLabelsMap(), body));
        }
        return out;
    }

    private static Map<String, List<Object>> expectedResources(List<? extends HasMetadata> objects) {
        Map<String, List<Object>> out = new TreeMap<>();
        for (HasMetadata o : objects) {
            Message body;
            if (o instanceof ServiceEntry se) {
                body = IstioProtos.toProto(se.getSpec(), io.meshfed.xds.mcp.proto.networking.ServiceEntry.newBuilder(), "se");
            } else if (o instanceof DestinationRule dr) {
                body = IstioProtos.toProto(dr.getSpec(), io.meshfed.xds.mcp.proto.networking.DestinationRule.newBuilder(), "dr");
            } else if (o instanceof io.fabric8.istio.api.networking.v1.WorkloadEntry we) {
                body = IstioProtos.toProto(we.getSpec(), io.meshfed.xds.mcp.proto.networking.WorkloadEntry.newBuilder(),
                        "we");
            } else {
                body = IstioProtos.toProto(((io.fabric8.istio.api.networking.v1.Gateway) o).getSpec(),
                        io.meshfed.xds.mcp.proto.networking.Gateway.newBuilder(), "gw");
            }
            Map<String, String> labels = o.getMetadata().getLabels() == null ? Map.of() : o.getMetadata().getLabels();
            out.put(o.getMetadata().getNamespace() + "/" + o.getMetadata().getName(), List.of(labels, body));
        }
        return out;
    }
}
