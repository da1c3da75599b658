package io.meshfed.xds.protocol;

import static io.meshfed.xds.AdsTestClient.envoyNode;
import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static io.meshfed.xds.protocol.AdsProtocolTest.CART;
import static io.meshfed.xds.protocol.AdsProtocolTest.EAST;
import static io.meshfed.xds.protocol.AdsProtocolTest.EAST_A;
import static io.meshfed.xds.protocol.AdsProtocolTest.ECHO;
import static io.meshfed.xds.protocol.AdsProtocolTest.ack;
import static io.meshfed.xds.protocol.AdsProtocolTest.east;
import static io.meshfed.xds.protocol.AdsProtocolTest.request;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Flow control of the ADS streams, with grpc-java clients over real sockets: per stream and type one response awaits
 * its ACK or NACK while newer snapshots coalesce into the next one, stale nonces release nothing, and a client that
 * stops reading leaves at most one built response per type at the bridge, whether or not it answers.
 *
 * <p>What the bridge did is read from its metrics and its debug view of each stream ({@link ClientStatus}), waiting
 * (bounded) for the state a step leads to, never for a length of time.
 */
class FlowControlTest {
    static final NodeGroup EAST_GROUP = new NodeGroup("east", "us-east/a");
    static final int CHANGES = 100;
    /** The HTTP/2 window of the client that stops reading: what the transport takes before the bridge must hold. */
    static final int WINDOW = 64 * 1024;

    BridgeHarness bridge;
    AdsTestClient client;

    @BeforeEach
    void start() throws Exception {
        bridge = new BridgeHarness(null);
        bridge.publish(echoOnPort(7000), west(false));
        client = new AdsTestClient(bridge.port(), null);
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        bridge.close();
    }

    /** East exporting echo on {@code port}: every port is another cluster and another endpoint assignment. */
    static ClusterCatalog echoOnPort(int port) {
        return catalog(EAST, port, grpcService("demo", "echo", port, 7070, endpoint("10.1.0.1", EAST_A, true)));
    }

    static String echoCluster(int port) {
        return EnvoyNames.cluster(EnvoyNames.host("demo", "echo"), port);
    }

    /** East exporting 300 services whose endpoint addresses all change with {@code generation}: large responses. */
    static ClusterCatalog large(int generation) {
        List<ExportedService> services = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            services.add(grpcService("shop", "svc-" + i, 8080, 8080,
                    endpoint("10." + (1 + i / 250) + "." + (generation % 250) + "." + (1 + i % 250), EAST_A, true)));
        }
        return catalog(EAST, generation, services.toArray(ExportedService[]::new));
    }

    /** The version a wildcard subscription of {@code typeUrl} is at now: that of east's newest type snapshot. */
    String newest(String typeUrl) {
        return bridge.cache.snapshot(EAST_GROUP).resources(typeUrl).version();
    }

    ClientStatus.TypeStatus status(String node, String typeUrl) {
        return bridge.clients.all().stream().filter(c -> c.nodeId().equals(node)).findFirst()
                .map(c -> c.types().get(typeUrl)).orElse(null);
    }

    static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        for (int i = 0; i < 1500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    /** Waits until the stream of {@code node} holds {@code typeUrl} back at the newest snapshot. */
    void awaitHeldAtNewest(String node, String typeUrl) throws InterruptedException {
        await(() -> status(node, typeUrl) != null && newest(typeUrl).equals(status(node, typeUrl).heldVersion()),
                () -> node + " holds " + typeUrl + " at " + newest(typeUrl) + ": " + status(node, typeUrl));
    }

    void awaitAcks(long n) throws InterruptedException {
        await(() -> bridge.metrics.acks() >= n, () -> n + " ACKs processed, not " + bridge.metrics.acks());
        assertEquals(n, bridge.metrics.acks());
    }

    static Set<String> clusterNames(DiscoveryResponse r) {
        Set<String> names = new TreeSet<>();
        for (Any any : r.getResourcesList()) {
            try {
                names.add(any.unpack(Cluster.class).getName());
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }
        return names;
    }

    static DeltaDiscoveryRequest deltaAck(DeltaDiscoveryResponse r) {
        return DeltaAdsTest.ack(r);
    }

    @Test
    void aClientThatNeverAnswersGetsOneResponsePerTypeThenTheNewestSnapshotInOne() throws Exception {
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-1", "east", "us-east", "a")).build());
        DiscoveryResponse cds = s.next();
        s.send(request(TypeUrls.ENDPOINT).build());
        DiscoveryResponse eds = s.next();

        for (int port = 7001; port <= 7000 + CHANGES; port++) {
            bridge.publish(echoOnPort(port), west(false));
        }
        awaitHeldAtNewest("gw-1", TypeUrls.CLUSTER);
        awaitHeldAtNewest("gw-1", TypeUrls.ENDPOINT);
        assertEquals(2, bridge.metrics.responses(), "one response per type while it is not answered");
        assertEquals(2, bridge.metrics.responsesAwaitingAnswer());
        assertTrue(bridge.metrics.responsesHeldForAnswer() >= 2, "held changes are counted");
        assertEquals(0, bridge.metrics.responsesHeldForTransport());

        s.send(ack(cds));
        DiscoveryResponse newestCds = s.next();
        assertEquals(TypeUrls.CLUSTER, newestCds.getTypeUrl());
        assertEquals(newest(TypeUrls.CLUSTER), newestCds.getVersionInfo(), "the newest snapshot, no intermediate one");
        assertTrue(clusterNames(newestCds).contains(echoCluster(7000 + CHANGES)), clusterNames(newestCds).toString());
        assertFalse(clusterNames(newestCds).contains(echoCluster(7000)));
        s.send(ack(eds));
        DiscoveryResponse newestEds = s.next();
        assertEquals(TypeUrls.ENDPOINT, newestEds.getTypeUrl());
        assertEquals(newest(TypeUrls.ENDPOINT), newestEds.getVersionInfo());

        s.send(ack(newestCds));
        s.send(ack(newestEds));
        awaitAcks(4);
        assertEquals(4, bridge.metrics.responses(), "each type's hundred changes went out in one response");
        assertEquals(0, bridge.metrics.responsesAwaitingAnswer());
        assertNull(status("gw-1", TypeUrls.CLUSTER).heldVersion());
    }

    @Test
    void aNackAlsoReleasesTheNextResponse() throws Exception {
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-1", "east", "us-east", "a")).build());
        DiscoveryResponse first = s.next();
        bridge.publish(echoOnPort(7001), west(false));
        bridge.publish(echoOnPort(7002), west(false));
        awaitHeldAtNewest("gw-1", TypeUrls.CLUSTER);

        s.send(request(TypeUrls.CLUSTER).setResponseNonce(first.getNonce()).setErrorDetail(
                com.google.rpc.Status.newBuilder().setCode(3).setMessage("cluster echo: rejected")).build());
        DiscoveryResponse next = s.next();
        assertEquals(newest(TypeUrls.CLUSTER), next.getVersionInfo());
        assertEquals(new TreeSet<>(Set.of(echoCluster(7002), ECHO)), clusterNames(next), "east's echo on 7002, west's");
        assertEquals(1, bridge.metrics.nacks());
        assertEquals(0, bridge.metrics.acks());
        assertEquals(2, bridge.metrics.responses());
    }

    @Test
    void aStaleNonceReleasesNothing() throws Exception {
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-1", "east", "us-east", "a")).build());
        DiscoveryResponse r1 = s.next();
        s.send(ack(r1));
        awaitAcks(1);
        bridge.publish(echoOnPort(7001), west(false));
        DiscoveryResponse r2 = s.next();
        bridge.publish(echoOnPort(7002), west(false));
        awaitHeldAtNewest("gw-1", TypeUrls.CLUSTER);

        // r1's nonce again: the stream issued it, but it is not the response in flight
        s.send(request(TypeUrls.CLUSTER).setVersionInfo(r1.getVersionInfo()).setResponseNonce(r1.getNonce()).build());
        // a new type is answered at once, after the stale request was handled: had that released the held clusters,
        // they would have been written first
        s.send(request(TypeUrls.ENDPOINT).build());
        assertEquals(TypeUrls.ENDPOINT, s.next().getTypeUrl(), "the stale nonce released nothing");
        assertEquals(1, bridge.metrics.acks(), "a stale nonce is no ACK");
        assertTrue(status("gw-1", TypeUrls.CLUSTER).awaitingAnswer());
        assertEquals(r2.getNonce(), status("gw-1", TypeUrls.CLUSTER).sentNonce());

        s.send(ack(r2));
        DiscoveryResponse r3 = s.next();
        assertEquals(TypeUrls.CLUSTER, r3.getTypeUrl());
        assertEquals(newest(TypeUrls.CLUSTER), r3.getVersionInfo());
    }

    /**
     * An Envoy reads a pushed Cluster and asks for its endpoints before it has read the endpoints pushed with it:
     * its request names the older endpoint nonce and is ignored; the answer to the endpoints in flight carries the
     * names it wants, and is answered at once.
     */
    @Test
    void aSubscriptionSentWithAStaleNonceIsReadFromTheNextAnswer() throws Exception {
        bridge.publish(east(1, "10.1.0.1"), west(false));
        var s = client.sotw();
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-1", "east", "us-east", "a")).build());
        DiscoveryResponse c1 = s.next();
        s.send(ack(c1));
        s.send(request(TypeUrls.ENDPOINT, ECHO).build());
        DiscoveryResponse e1 = s.next();
        s.send(ack(e1, ECHO));
        awaitAcks(2);

        bridge.publish(east(2, "10.1.0.7"), west(true));
        DiscoveryResponse c2 = s.next();
        DiscoveryResponse e2 = s.next();
        assertEquals(TypeUrls.ENDPOINT, e2.getTypeUrl());
        s.send(request(TypeUrls.ENDPOINT, ECHO, CART).setVersionInfo(e1.getVersionInfo())
                .setResponseNonce(e1.getNonce()).build());
        s.send(ack(c2));
        awaitAcks(3);
        assertEquals(4, bridge.metrics.responses(), "the stale request got no response");

        s.send(ack(e2, ECHO, CART));
        DiscoveryResponse e3 = s.next();
        assertEquals(List.of(ECHO, CART), e3.getResourcesList().stream()
                .map(a -> AdsProtocolTest.unpack(a).getClusterName()).sorted().toList());
    }

    @Test
    void aDeltaClientThatNeverAnswersGetsOneResponsePerTypeThenTheNewestInOne() throws Exception {
        var d = client.delta();
        d.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                .setTypeUrl(TypeUrls.CLUSTER).build());
        DeltaDiscoveryResponse cds = d.next();
        d.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT).build());
        DeltaDiscoveryResponse eds = d.next();
        Set<String> held = new TreeSet<>(DeltaAdsTest.names(cds));
        assertTrue(held.contains(echoCluster(7000)));

        for (int port = 7001; port <= 7000 + CHANGES; port++) {
            bridge.publish(echoOnPort(port), west(false));
        }
        awaitHeldAtNewest("gw-d", TypeUrls.CLUSTER);
        awaitHeldAtNewest("gw-d", TypeUrls.ENDPOINT);
        assertEquals(2, bridge.metrics.responses());
        assertTrue(bridge.metrics.responsesHeldForAnswer() >= 2);

        d.send(deltaAck(cds));
        DeltaDiscoveryResponse newestCds = d.next();
        assertEquals(TypeUrls.CLUSTER, newestCds.getTypeUrl());
        assertEquals(newest(TypeUrls.CLUSTER), newestCds.getSystemVersionInfo());
        assertEquals(List.of(echoCluster(7000 + CHANGES)), DeltaAdsTest.names(newestCds),
                "only the newest cluster, none of the 99 in between");
        assertEquals(List.of(echoCluster(7000)), newestCds.getRemovedResourcesList());
        d.send(deltaAck(eds));
        DeltaDiscoveryResponse newestEds = d.next();
        assertEquals(newest(TypeUrls.ENDPOINT), newestEds.getSystemVersionInfo());
        assertEquals(List.of(echoCluster(7000 + CHANGES)), DeltaAdsTest.names(newestEds));

        d.send(deltaAck(newestCds));
        d.send(deltaAck(newestEds));
        awaitAcks(4);
        assertEquals(4, bridge.metrics.responses());
        assertEquals(0, bridge.metrics.responsesAwaitingAnswer());
    }

    @Test
    void deltaNackReleasesAndAStaleNonceDoesNotButItsSubscriptionApplies() throws Exception {
        var d = client.delta();
        d.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                .setTypeUrl(TypeUrls.ENDPOINT).addResourceNamesSubscribe(echoCluster(7000)).build());
        DeltaDiscoveryResponse r1 = d.next();
        d.send(deltaAck(r1));
        awaitAcks(1);
        bridge.publish(catalog(EAST, 2, grpcService("demo", "echo", 7000, 7070, endpoint("10.1.0.9", EAST_A, true))),
                west(false));
        DeltaDiscoveryResponse r2 = d.next();
        bridge.publish(catalog(EAST, 3, grpcService("demo", "echo", 7000, 7070, endpoint("10.1.0.10", EAST_A, true))),
                west(false));
        awaitHeldAtNewest("gw-d", TypeUrls.ENDPOINT);

        // stale nonce, subscribing to a name that does not exist: no answer, but the subscription is taken
        d.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT).setResponseNonce(r1.getNonce())
                .addResourceNamesSubscribe("outbound|1||missing.demo.svc.clusterset.local").build());
        d.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER).build());
        assertEquals(TypeUrls.CLUSTER, d.next().getTypeUrl(), "the stale nonce released nothing");
        assertEquals(2, status("gw-d", TypeUrls.ENDPOINT).subscribedNames());
        assertTrue(status("gw-d", TypeUrls.ENDPOINT).awaitingAnswer());

        d.send(deltaAck(r2).toBuilder().setErrorDetail(com.google.rpc.Status.newBuilder().setMessage("no")).build());
        DeltaDiscoveryResponse r3 = d.next();
        assertEquals(TypeUrls.ENDPOINT, r3.getTypeUrl());
        assertEquals(List.of(echoCluster(7000)), DeltaAdsTest.names(r3), "the newest endpoints of echo");
        assertEquals(List.of("outbound|1||missing.demo.svc.clusterset.local"), r3.getRemovedResourcesList(),
                "the name subscribed meanwhile is reported absent");
        assertEquals(1, bridge.metrics.nacks());
    }

    /**
     * Clients that stop reading and never answer, one per protocol, while 100 snapshots change: the bridge built and
     * wrote one response per type and stream, and nothing since.
     */
    @Test
    void clientsThatStopReadingHoldOneResponsePerTypeAtTheBridge() throws Exception {
        var s = client.sotw(false);
        s.send(request(TypeUrls.CLUSTER).setNode(envoyNode("gw-s", "east", "us-east", "a")).build());
        s.send(request(TypeUrls.ENDPOINT).build());
        var d = client.delta(false);
        d.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                .setTypeUrl(TypeUrls.CLUSTER).build());
        d.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT).build());
        await(() -> bridge.metrics.responsesAwaitingAnswer() == 4, () -> "four first responses");
        long bytes = bridge.metrics.bytesSent();

        for (int port = 7001; port <= 7000 + CHANGES; port++) {
            bridge.publish(echoOnPort(port), west(false));
        }
        for (String node : List.of("gw-s", "gw-d")) {
            awaitHeldAtNewest(node, TypeUrls.CLUSTER);
            awaitHeldAtNewest(node, TypeUrls.ENDPOINT);
        }
        assertEquals(4, bridge.metrics.responses(), "one response built per stream and type");
        assertEquals(bytes, bridge.metrics.bytesSent(), "nothing written since");
        assertEquals(4, bridge.metrics.responsesAwaitingAnswer());
        assertTrue(s.responses.isEmpty() && d.responses.isEmpty(), "neither client read anything");

        // reading again, each finds its first responses and, once it answers them, the newest state
        s.request(Integer.MAX_VALUE);
        d.request(Integer.MAX_VALUE);
        s.send(ack(s.next()));
        s.send(ack(s.next()));
        d.send(deltaAck(d.next()));
        d.send(deltaAck(d.next()));
        for (int i = 0; i < 2; i++) {
            DiscoveryResponse r = s.next();
            assertEquals(newest(r.getTypeUrl()), r.getVersionInfo());
            DeltaDiscoveryResponse dr = d.next();
            assertEquals(newest(dr.getTypeUrl()), dr.getSystemVersionInfo());
        }
        assertEquals(8, bridge.metrics.responses());
    }

    /**
     * A client that stops reading but answers every response it was sent without reading it (its nonces read from
     * the debug view stand in for guessing them): the ACK gate opens each time, and the transport's back-pressure is
     * what holds. Once the HTTP/2 window is full the bridge writes nothing more; it holds no more than the response
     * that did not fit, however many snapshots change; when the client reads again it gets the newest state.
     */
    @Test
    void aClientThatStopsReadingButAnswersBlindlyIsHeldByItsTransport() throws Exception {
        try (AdsTestClient narrow = narrowWindowClient()) {
            bridge.publish(large(0), west(false));
            var s = narrow.sotw(false);
            s.send(request(TypeUrls.ENDPOINT).setNode(envoyNode("gw-s", "east", "us-east", "a")).build());
            heldByTransport(s, "gw-s", nonce -> request(TypeUrls.ENDPOINT).setResponseNonce(nonce).build(),
                    DiscoveryResponse::getVersionInfo);
        }
    }

    @Test
    void aDeltaClientThatStopsReadingButAnswersBlindlyIsHeldByItsTransport() throws Exception {
        try (AdsTestClient narrow = narrowWindowClient()) {
            bridge.publish(large(0), west(false));
            var d = narrow.delta(false);
            d.send(DeltaDiscoveryRequest.newBuilder().setNode(envoyNode("gw-d", "east", "us-east", "a"))
                    .setTypeUrl(TypeUrls.ENDPOINT).build());
            heldByTransport(d, "gw-d",
                    nonce -> DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT).setResponseNonce(nonce).build(),
                    DeltaDiscoveryResponse::getSystemVersionInfo);
        }
    }

    AdsTestClient narrowWindowClient() {
        return new AdsTestClient(NettyChannelBuilder.forAddress("127.0.0.1", bridge.port()).usePlaintext()
                .flowControlWindow(WINDOW).build());
    }

    private <Q, R> void heldByTransport(AdsTestClient.Recorded<Q, R> stream, String node, Function<String, Q> answer,
            Function<R, String> versionOf) throws Exception {
        await(() -> status(node, TypeUrls.ENDPOINT) != null, () -> "the first response");
        long largest = bridge.metrics.bytesSent();
        long mostInFlight = 0;
        for (int generation = 1; generation <= CHANGES; generation++) {
            long responses = bridge.metrics.responses();
            long bytes = bridge.metrics.bytesSent();
            ClientStatus.TypeStatus before = status(node, TypeUrls.ENDPOINT);
            if (before.awaitingAnswer()) {
                stream.send(answer.apply(before.sentNonce()));
                await(() -> !status(node, TypeUrls.ENDPOINT).awaitingAnswer()
                        || !status(node, TypeUrls.ENDPOINT).sentNonce().equals(before.sentNonce()),
                        () -> "the blind answer was taken");
            }
            bridge.publish(large(generation), west(false));
            String version = newest(TypeUrls.ENDPOINT);
            await(() -> version.equals(status(node, TypeUrls.ENDPOINT).sentVersion())
                    || version.equals(status(node, TypeUrls.ENDPOINT).heldVersion()),
                    () -> "generation " + version + " sent or held: " + status(node, TypeUrls.ENDPOINT));
            if (bridge.metrics.responses() == responses + 1) {
                largest = Math.max(largest, bridge.metrics.bytesSent() - bytes);
            }
            mostInFlight = Math.max(mostInFlight, bridge.metrics.responseBytesInFlight());
        }
        long written = bridge.metrics.responses();
        assertTrue(bridge.metrics.responsesHeldForTransport() > 0, "the write queue filled");
        assertTrue(largest > WINDOW / 4, "responses of " + largest + " bytes");
        assertTrue(written <= 2 + WINDOW / (largest / 2), written + " responses written for " + CHANGES + " changes");
        assertTrue(mostInFlight <= WINDOW + 2 * largest,
                mostInFlight + " bytes waited at the bridge, more than the window and the response that did not fit");
        assertEquals(0, bridge.metrics.responsesHeldForAnswer(), "every response was answered");

        stream.request(Integer.MAX_VALUE);
        String newest = newest(TypeUrls.ENDPOINT);
        int received = 0;
        R last;
        do {
            last = stream.next();
            received++;
        } while (!versionOf.apply(last).equals(newest));
        assertEquals(bridge.metrics.responses(), received, "the newest state came last, after what was written");
        assertEquals(written + 1, received, "the held state went out in one response when the transport drained");
    }
}
