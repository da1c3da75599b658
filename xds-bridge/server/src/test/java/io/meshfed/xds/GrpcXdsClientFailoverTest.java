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
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.protocol.ClientStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * grpc-java's own xDS client resolves {@code xds:///echo.demo.svc.clusterset.local:7070} through the bridge and
 * real calls reach a server in its own locality, then fail over to the other cluster's gateway when the local
 * server stops and its endpoint turns unready. grpc-java validates every resource and NACKs what it rejects, so
 * the bridge's NACK counter must stay at zero.
 *
 * <p>grpc-java reads its xDS bootstrap once per JVM: this class runs in its own JVM (surefire reuseForks=false).
 */
class GrpcXdsClientFailoverTest {
    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality WEST_A = new Locality("us-west", "a");

    @Test
    void resolvesXdsTargetAndFailsOverToTheOtherLocality() throws Exception {
        Server eastServer = whoServer("east");
        Server westServer = whoServer("west");
        try (BridgeHarness bridge = new BridgeHarness(null)) {
            // east's workload listens on eastServer's port; west is on another network, reached through its
            // east-west gateway, which here is westServer itself.
            MeshCluster east = cluster("east", "net-east", EAST_A, "127.0.0.2", 15443);
            MeshCluster west = cluster("west", "net-west", WEST_A, "127.0.0.1", westServer.getPort());
            ClusterCatalog westCatalog = catalog(west, 1,
                    grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", WEST_A, true)));
            int eastPort = eastServer.getPort();
            bridge.publish(
                    catalog(east, 1, grpcService("demo", "echo", 7070, eastPort,
                            endpoint("127.0.0.1", EAST_A, true))),
                    westCatalog);

            ManagedChannel channel = xdsChannel(bridge.port(), "east", "us-east", "a",
                    "xds:///echo.demo.svc.clusterset.local:7070");
            try {
                // the first call waits for grpc-java's whole xDS resolution (LDS, RDS, CDS, EDS) in a fresh JVM,
                // which a loaded 2-core machine has been seen to take more than 10 s for
                assertEquals("east", call(channel, 60), "the local locality (priority 0) answers first");
                assertEquals("east", call(channel, 10));

                eastServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                bridge.publish(
                        catalog(east, 2, grpcService("demo", "echo", 7070, eastPort,
                                endpoint("127.0.0.1", EAST_A, false))),
                        westCatalog);

                List<String> seen = callUntil(channel, "west", Duration.ofSeconds(20));
                assertEquals("west", seen.get(seen.size() - 1), "calls fail over to west; saw " + seen);
                assertEquals("west", call(channel, 10));

                ClientStatus status = bridge.clients.all().get(0);
                assertEquals("east", status.cluster());
                assertEquals(List.of(TypeUrls.CLUSTER, TypeUrls.ENDPOINT, TypeUrls.LISTENER, TypeUrls.ROUTE),
                        List.copyOf(status.types().keySet()), "grpc-java subscribed to LDS, RDS, CDS and EDS");
                assertEveryTypeAckedNeverNacked(status);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            assertEquals(0, bridge.metrics.nacks(), "grpc-java accepted every resource");
            assertTrue(bridge.metrics.acks() >= 5, "LDS, RDS, CDS, EDS and the failover EDS were ACKed");
        } finally {
            eastServer.shutdownNow();
            westServer.shutdownNow();
        }
    }
}
