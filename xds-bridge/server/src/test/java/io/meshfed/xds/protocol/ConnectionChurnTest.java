package io.meshfed.xds.protocol;

import static io.meshfed.xds.AdsTestClient.envoyNode;
import static io.meshfed.xds.protocol.AdsProtocolTest.east;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.cache.TypeUrls;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 10,000 streams connect, get their first answer and go away (cancelled, half-closed, or ended by an error), in
 * waves of 100 at once over 10 fresh connections per wave (closed after it, so connection loss is exercised too,
 * and no connection hits the HTTP/2 rapid-reset guard); afterwards no stream, watch, node group, debug entry,
 * response buffer or response awaiting its answer is left.
 */
class ConnectionChurnTest {
    static final int CYCLES = 10_000;
    static final int WAVE = 100;

    @Test
    void tenThousandConnectDisconnectCyclesLeaveNothingBehind() throws Exception {
        try (BridgeHarness bridge = new BridgeHarness(null)) {
            bridge.publish(east(1, "10.1.0.1"), west(true));
            for (int done = 0; done < CYCLES; done += WAVE) {
                List<AdsTestClient> connections = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    connections.add(new AdsTestClient(bridge.port(), null));
                }
                try {
                    List<AdsTestClient.Recorded<?, ?>> wave = new ArrayList<>();
                    for (int i = 0; i < WAVE; i++) {
                        AdsTestClient c = connections.get(i % connections.size());
                        String zone = (done + i) % 3 == 0 ? "b" : "a"; // two node groups of east
                        if (i % 2 == 0) {
                            var s = c.sotw();
                            s.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER)
                                    .setNode(envoyNode("churn-" + (done + i), "east", "us-east", zone)).build());
                            wave.add(s);
                        } else {
                            var s = c.delta();
                            s.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.ENDPOINT)
                                    .addResourceNamesSubscribe(AdsProtocolTest.ECHO)
                                    .setNode(envoyNode("churn-" + (done + i), "east", "us-east", zone)).build());
                            wave.add(s);
                        }
                    }
                    for (int i = 0; i < wave.size(); i++) {
                        var s = wave.get(i);
                        s.next();
                        if (i % 4 == 0) {
                            s.halfClose();
                        } else {
                            s.cancel();
                        }
                    }
                } finally {
                    for (AdsTestClient c : connections) {
                        c.close();
                    }
                }
            }
            for (int i = 0; i < 1000 && (bridge.metrics.streamsOpen() > 0 || bridge.metrics.responseBytesInFlight() > 0); i++) {
                Thread.sleep(10);
            }
            assertEquals(CYCLES, bridge.metrics.streamsOpened.get());
            assertEquals(0, bridge.metrics.streamsOpen(), "every stream was released");
            assertEquals(0, bridge.metrics.responseBytesInFlight(), "every response buffer was released");
            assertEquals(0, bridge.metrics.responsesAwaitingAnswer(), "no response awaits an answer");
            assertEquals(0, bridge.clients.size(), "no debug entries left");
            assertEquals(0, bridge.cache.watchCount(), "no watches left");
            assertEquals(0, bridge.cache.liveGroups().size(), "no node groups left");
        }
    }
}
