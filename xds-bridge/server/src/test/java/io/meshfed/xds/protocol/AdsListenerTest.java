package io.meshfed.xds.protocol;

import static io.meshfed.xds.AdsTestClient.envoyNode;
import static io.meshfed.xds.protocol.AdsProtocolTest.east;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The ADS port served on several event loops: one port, connections spread over the loops, all of them answered. */
class AdsListenerTest {
    @Test
    void connectionsAreSpreadOverTheEventLoopsOfOnePort() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(3));
        try {
            SnapshotCache cache = new SnapshotCache();
            cache.publish(new FederationSnapshot(List.of(east(1, "10.1.0.1"), west(true)),
                    new EnvoyTranslator(EnvoyPolicy.DEFAULT), null, Fixtures.T0));
            AdsServer ads = new AdsServer(cache, new ClusterIdentifier(BridgeHarness.DOMAIN), new XdsMetrics(),
                    new ConnectedClients());
            Set<String> servingThreads = ConcurrentHashMap.newKeySet();
            AdsListener listener = AdsListener.listen(vertx, v -> {
                Handler<HttpServerRequest> handler = ads.requestHandler(v);
                return request -> {
                    servingThreads.add(Thread.currentThread().getName());
                    handler.handle(request);
                };
            }, new HttpServerOptions().setHost("127.0.0.1").setPort(0), 3).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertEquals(3, listener.eventLoops());

            List<AdsTestClient> connections = new ArrayList<>();
            try {
                for (int i = 0; i < 6; i++) {
                    AdsTestClient c = new AdsTestClient(listener.port(), null);
                    connections.add(c);
                    var s = c.sotw();
                    s.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER)
                            .setNode(envoyNode("envoy-" + i, "east", "us-east", "a")).build());
                    assertEquals(TypeUrls.CLUSTER, s.next().getTypeUrl(), "connection " + i + " is answered");
                }
            } finally {
                for (AdsTestClient c : connections) {
                    c.close();
                }
            }
            assertEquals(3, servingThreads.size(), "six connections over three event loops: " + servingThreads);

            int port = listener.port();
            listener.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(bindable(port), "closing the listener releases the port on every event loop");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** True once {@code port} can be bound again (connections the listener accepted may take a moment to close). */
    private static boolean bindable(int port) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return true;
            } catch (IOException inUse) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    @Test
    void refusesZeroEventLoops() {
        Vertx vertx = Vertx.vertx();
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdsListener.listen(vertx,
                    v -> request -> { }, new HttpServerOptions(), 0));
            assertEquals("eventLoops must be at least 1, got 0", e.getMessage());
        } finally {
            vertx.close();
        }
    }
}
