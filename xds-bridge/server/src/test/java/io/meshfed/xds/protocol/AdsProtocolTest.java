package io.meshfed.xds.protocol;

import static io.meshfed.xds.AdsTestClient.envoyNode;
import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status.Code;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyNames;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** State-of-the-world protocol rules, cluster identity and malformed input, with a plain grpc-java ADS client. */
class AdsProtocolTest {
    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality WEST_A = new Locality("us-west", "a");
    static final MeshCluster EAST = cluster("east", "net-east", EAST_A, "192.0.2.10", 15443);
    static final MeshCluster WEST = cluster("west", "net-west", WEST_A, "192.0.2.20", 15443);
    static final String ECHO = EnvoyNames.cluster(EnvoyNames.host("demo", "echo"), 7070);
    static final String CART = EnvoyNames.cluster(EnvoyNames.host("shop", "cart"), 8080);

    BridgeHarness bridge;
    AdsTestClient client;

    @BeforeEach
    void start() throws Exception {
        bridge = new BridgeHarness(null);
        bridge.publish(east(1, "10.1.0.1"), west(false));
        client = new AdsTestClient(bridge.port(), null);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        bridge.close();
    }

    static ClusterCatalog east(long version, String ip) {
        return catalog(EAST, version, grpcService("demo", "echo", 7070, 7070, endpoint(ip, EAST_A, true)));
    }

    static ClusterCatalog west(boolean withCart) {
        return withCart
                ? catalog(WEST, 2, grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", WEST_A, true)),
                        grpcService("shop", "cart", 8080, 8080, endpoint("10.2.0.2", WEST_A, true)))
                : catalog(WEST, 1, grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", WEST_A, true)));
    }

    static DiscoveryRequest.Builder request(String type, String... names) {
        return DiscoveryRequest.newBuilder().setTypeUrl(type).addAllResourceNames(List.of(names));
    }

    static DiscoveryRequest ack(DiscoveryResponse r, String... names) {
        return request(r.getTypeUrl(), names).setVersionInfo(r.getVersionInfo()).setResponseNonce(r.getNonce()).build();
    }

    @Test
    void clusterFromAuthorityHost() throws Exception {
        try (AdsTestClient viaHost = new AdsTestClient(bridge.port(), "west.xds.meshfed.example:15010")) {
            var s = viaHost.sotw();
            s.send(request(TypeUrls.CLUSTER).setNode(AdsTestClient.node("sidecar~10.2.0.9~istiod.istio-system~x")).build());
            assertEquals(1, s.next().getResourcesCount());
            for (int i = 0; i < 500 && bridge.clients.all().isEmpty(); i++) {
                Thread.sleep(10); // the stream records its status right after sending
            }
            assertEquals("west", bridge.clients.all().get(0).cluster());
        }
    }

    @Test
    void unregisteredClusterGetsNotFound() throws Exception {
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-1", "north", "us-north", "a")).build());
        io.grpc.Status st = s.status();
        assertEquals(Code.NOT_FOUND, st.getCode());
        assertTrue(st.getDescription().contains("cluster 'north' is not registered"), st.getDescription());
    }

    @Test
    void clientWithoutClusterIdentityGetsFailedPrecondition() throws Exception {
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(AdsTestClient.node("sidecar~10.0.0.1~istiod.istio-system~x")).build());
        io.grpc.Status st = s.status();
        assertEquals(Code.FAILED_PRECONDITION, st.getCode());
        assertTrue(st.getDescription().contains("cannot tell which cluster"), st.getDescription());
    }

    @Test
    void malformedRequestsGetInvalidArgumentAndOthersKeepBeingServed() throws Exception {
        var healthy = client.sotw();
        healthy.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-ok", "east", "us-east", "a")).build());
        DiscoveryResponse cds = healthy.next();

        var unknownType = client.sotw();
        unknownType.send(request("type.googleapis.com/envoy.config.bogus.v3.Thing")
                .setNode(envoyNode("gw-2", "east", "us-east", "a")).build());
        io.grpc.Status st = unknownType.status();
        assertEquals(Code.INVALID_ARGUMENT, st.getCode());
        assertTrue(st.getDescription().contains("unknown type_url 'type.googleapis.com/envoy.config.bogus.v3.Thing'"));

        var badNonce = client.sotw();
        badNonce.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-3", "east", "us-east", "a")).build());
        DiscoveryResponse r = badNonce.next();
        badNonce.send(request(TypeUrls.CLUSTER).setVersionInfo(r.getVersionInfo()).setResponseNonce("forged-42").build());
        st = badNonce.status();
        assertEquals(Code.INVALID_ARGUMENT, st.getCode());
        assertTrue(st.getDescription().contains("response_nonce 'forged-42'"), st.getDescription());

        var garbage = client.raw();
        garbage.send(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02});
        st = garbage.status();
        assertEquals(Code.INVALID_ARGUMENT, st.getCode());
        assertTrue(st.getDescription().contains("not a valid envoy.service.discovery.v3.DiscoveryRequest"));

        var noNode = client.sotw();
        noNode.send(request(TypeUrls.CLUSTER).build());
        assertEquals(Code.INVALID_ARGUMENT, noNode.status().getCode());

        // the first stream is unaffected and still gets pushes
        healthy.send(ack(cds));
        bridge.publish(east(2, "10.1.0.1"), west(true));
        DiscoveryResponse pushed = healthy.next();
        assertEquals(TypeUrls.CLUSTER, pushed.getTypeUrl());
        assertEquals(2, pushed.getResourcesCount());
    }

    @Test
    void nackKeepsLastGoodConfigIsCountedAndShownAndNextChangeIsPushed() throws Exception {
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-1", "east", "us-east", "a")).build());
        DiscoveryResponse v1 = s.next();
        s.send(ack(v1));
        awaitAcks(1); // an ACK that arrives after the next push names an older nonce and is ignored
        bridge.publish(east(1, "10.1.0.1"), west(true));
        DiscoveryResponse v2 = s.next();
        s.send(request(TypeUrls.CLUSTER).setVersionInfo(v1.getVersionInfo()).setResponseNonce(v2.getNonce())
                .setErrorDetail(Status.newBuilder().setCode(3).setMessage("cluster cart: bad outlier detection")).build());
        awaitNacks(1);
        ClientStatus.TypeStatus t = bridge.clients.all().get(0).types().get(TypeUrls.CLUSTER);
        assertEquals(v1.getVersionInfo(), t.ackedVersion(), "the last good version stays the ACKed one");
        assertEquals(v2.getVersionInfo(), t.sentVersion());
        assertNotNull(t.lastNack());
        assertEquals("cluster cart: bad outlier detection", t.lastNack().error());

        bridge.publish(east(1, "10.1.0.1"), west(false));
        DiscoveryResponse v3 = s.next();
        assertEquals(1, v3.getResourcesCount(), "a new snapshot is pushed after a NACK");
        assertEquals(v1.getVersionInfo(), v3.getVersionInfo(), "same content, same version");
    }

    @Test
    void namedSubscriptionIncludingANameThatDoesNotExistYetAndClustersBeforeEndpoints() throws Exception {
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-1", "east", "us-east", "a")).build());
        s.send(ack(s.next()));
        s.send(request(TypeUrls.ENDPOINT, ECHO, CART).build());
        DiscoveryResponse eds = s.next();
        assertEquals(List.of(ECHO), eds.getResourcesList().stream()
                .map(a -> unpack(a).getClusterName()).toList(), "only existing names are sent");
        s.send(ack(eds, ECHO, CART));

        bridge.publish(east(1, "10.1.0.1"), west(true));
        DiscoveryResponse first = s.next();
        DiscoveryResponse second = s.next();
        assertEquals(TypeUrls.CLUSTER, first.getTypeUrl(), "clusters are pushed before their endpoints");
        assertEquals(TypeUrls.ENDPOINT, second.getTypeUrl());
        assertEquals(List.of(ECHO, CART), second.getResourcesList().stream()
                .map(a -> unpack(a).getClusterName()).sorted().toList(), "cart arrives once it exists");
    }

    @Test
    void onlyClientsWhoseResourcesChangedArePushed() throws Exception {
        var eastGw = client.sotw();
        eastGw.send(request(TypeUrls.ENDPOINT, ECHO).setNode(envoyNode("gw-e", "east", "us-east", "a")).build());
        DiscoveryResponse e1 = eastGw.next();
        eastGw.send(ack(e1, ECHO));
        var westGw = client.sotw();
        westGw.send(request(TypeUrls.ENDPOINT, ECHO).setNode(envoyNode("gw-w", "west", "us-west", "a")).build());
        DiscoveryResponse w1 = westGw.next();
        westGw.send(ack(w1, ECHO));
        awaitAcks(2);
        long responsesBefore = bridge.metrics.responses();

        // east's echo pod moves to another IP: east dials it directly and must learn it; west only sees east's
        // gateway (same weight), so nothing changes for west.
        bridge.publish(east(2, "10.1.0.7"), west(false));
        DiscoveryResponse e2 = eastGw.next();
        assertNotEquals(e1.getVersionInfo(), e2.getVersionInfo());
        eastGw.send(ack(e2, ECHO));
        awaitAcks(3);
        assertEquals(responsesBefore + 1, bridge.metrics.responses(), "exactly one push: to east's gateway");
        String westNonce = bridge.clients.all().stream().filter(c -> c.cluster().equals("west")).findFirst()
                .orElseThrow().types().get(TypeUrls.ENDPOINT).sentNonce();
        assertEquals(w1.getNonce(), westNonce);
    }

    static ClusterLoadAssignment unpack(com.google.protobuf.Any any) {
        try {
            return any.unpack(ClusterLoadAssignment.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits (bounded) for the server to have processed the client's ACKs; the client cannot observe it otherwise. */
    void awaitAcks(long n) throws InterruptedException {
        for (int i = 0; i < 500 && bridge.metrics.acks() < n; i++) {
            Thread.sleep(10);
        }
        assertEquals(n, bridge.metrics.acks());
    }

    void awaitNacks(long n) throws InterruptedException {
        for (int i = 0; i < 500 && (bridge.metrics.nacks() < n
                || bridge.clients.all().get(0).types().get(TypeUrls.CLUSTER).lastNack() == null); i++) {
            Thread.sleep(10);
        }
        assertEquals(n, bridge.metrics.nacks());
    }
}
