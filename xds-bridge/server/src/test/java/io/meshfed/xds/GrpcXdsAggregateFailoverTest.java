package io.meshfed.xds;

import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static io.meshfed.xds.GrpcXdsWorkload.assertEveryTypeAckedNeverNacked;
import static io.meshfed.xds.GrpcXdsWorkload.call;
import static io.meshfed.xds.GrpcXdsWorkload.callUntil;
import static io.meshfed.xds.GrpcXdsWorkload.whoServer;
import static io.meshfed.xds.GrpcXdsWorkload.xdsChannel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.protocol.ClientStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * grpc-java's own xDS client follows the aggregate cluster the bridge gives a service whose remote gateway is known
 * only by name: west's gateway is {@code localhost:<port>}, which EDS cannot carry, so the only way a call reaches
 * it is the aggregate's LOGICAL_DNS member, resolved by grpc-java's DNS resolver. Calls go to east's own endpoint
 * (the EDS member, first in the aggregate) while it is ready, fail over to west's gateway by name when it stops and
 * turns unready, and come back when east has a ready endpoint again. No resource is NACKed.
 *
 * <p>grpc-java reads its xDS bootstrap once per JVM: this class runs in its own JVM (surefire reuseForks=false).
 */
class GrpcXdsAggregateFailoverTest {
    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality WEST_A = new Locality("us-west", "a");

    @Test
    void failsOverToTheGatewayKnownOnlyByName() throws Exception {
        Server eastServer = whoServer("east");
        Server westGateway = whoServer("west");
        Server eastAgain = null;
        try (BridgeHarness bridge = new BridgeHarness(null)) {
            MeshCluster east = cluster("east", "net-east", EAST_A, "127.0.0.2", 15443);
            MeshCluster west = new MeshCluster("west", "net-west", WEST_A,
                    new GatewayAddress("localhost", westGateway.getPort()), "west.meshfed.example", null);
            ClusterCatalog westCatalog = catalog(west, 1,
                    grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", WEST_A, true)));
            int eastPort = eastServer.getPort();
            bridge.publish(
                    catalog(east, 1, grpcService("demo", "echo", 7070, eastPort, endpoint("127.0.0.1", EAST_A, true))),
                    westCatalog);

            ManagedChannel channel = xdsChannel(bridge.port(), "east", "us-east", "a",
                    "xds:///echo.demo.svc.clusterset.local:7070");
            try {
                // the first call waits for grpc-java's whole xDS resolution in a fresh JVM (seen above 10 s on a
                // loaded 2-core machine)
                assertEquals("east", call(channel, 60), "the aggregate's first member, east's own endpoints, answers");
                for (int i = 0; i < 5; i++) {
                    assertEquals("east", call(channel, 10), "east stays first while it is ready");
                }

                eastServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                bridge.publish(
                        catalog(east, 2, grpcService("demo", "echo", 7070, eastPort, endpoint("127.0.0.1", EAST_A, false))),
                        westCatalog);
                List<String> seen = callUntil(channel, "west", Duration.ofSeconds(20));
                assertEquals("west", seen.get(seen.size() - 1), "calls fail over to west's gateway by name; saw " + seen);
                assertEquals("west", call(channel, 10));

                eastAgain = whoServer("east");
                bridge.publish(
                        catalog(east, 3, grpcService("demo", "echo", 7070, eastAgain.getPort(),
                                endpoint("127.0.0.1", EAST_A, true))),
                        westCatalog);
                seen = callUntil(channel, "east", Duration.ofSeconds(20));
                assertEquals("east", seen.get(seen.size() - 1), "calls come back to east once it is ready; saw " + seen);

                ClientStatus status = bridge.clients.all().get(0);
                assertEquals("east", status.cluster());
                assertEquals(3, status.types().get(TypeUrls.CLUSTER).subscribedNames(),
                        "grpc-java asked for the aggregate and both its members");
                assertEquals(1, status.types().get(TypeUrls.ENDPOINT).subscribedNames(),
                        "EDS only for the EDS member; the gateway by name is resolved by DNS");
                assertEveryTypeAckedNeverNacked(status);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertEquals(0, bridge.metrics.nacks(), "grpc-java accepted every resource");
            assertTrue(bridge.metrics.acks() >= 6, "LDS, RDS, CDS, EDS and both EDS changes were ACKed");
        } finally {
            eastServer.shutdownNow();
            westGateway.shutdownNow();
            if (eastAgain != null) {
                eastAgain.shutdownNow();
            }
        }
    }
}
