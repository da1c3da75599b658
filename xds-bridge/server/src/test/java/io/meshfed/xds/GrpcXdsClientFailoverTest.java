package io.meshfed.xds;

import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.protocol.ClientStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
    static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("meshfed.test.Who/Name")
            .setRequestMarshaller(new Utf8())
            .setResponseMarshaller(new Utf8())
            .build();

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

            System.setProperty("io.grpc.xds.bootstrapConfig", """
                    {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                                      "server_features": ["xds_v3"]}],
                     "node": {"id": "proxyless~10.1.0.9~client.demo~demo.svc.cluster.local",
                              "locality": {"region": "us-east", "zone": "a"},
                              "metadata": {"CLUSTER_ID": "east"}}}
                    """.formatted(bridge.port()));
            ManagedChannel channel = Grpc.newChannelBuilder("xds:///echo.demo.svc.clusterset.local:7070",
                    InsecureChannelCredentials.create()).build();
            try {
                assertEquals("east", call(channel), "the local locality (priority 0) answers first");
                assertEquals("east", call(channel));

                eastServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                bridge.publish(
                        catalog(east, 2, grpcService("demo", "echo", 7070, eastPort,
                                endpoint("127.0.0.1", EAST_A, false))),
                        westCatalog);

                List<String> seen = new ArrayList<>();
                Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
                while (Instant.now().isBefore(deadline)) {
                    String who = callOrError(channel);
                    seen.add(who);
                    if (who.equals("west")) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertEquals("west", seen.get(seen.size() - 1), "calls fail over to west; saw " + seen);
                assertEquals("west", call(channel));

                ClientStatus status = bridge.clients.all().get(0);
                assertEquals("east", status.cluster());
                assertEquals(List.of(TypeUrls.CLUSTER, TypeUrls.ENDPOINT, TypeUrls.LISTENER, TypeUrls.ROUTE),
                        List.copyOf(status.types().keySet()), "grpc-java subscribed to LDS, RDS, CDS and EDS");
                for (ClientStatus.TypeStatus t : status.types().values()) {
                    assertEquals(t.sentVersion(), t.ackedVersion(), t.typeUrl() + " latest version ACKed");
                    assertEquals(null, t.lastNack(), t.typeUrl() + " never NACKed");
                }
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

    private static String call(ManagedChannel channel) {
        return ClientCalls.blockingUnaryCall(channel, WHO, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "");
    }

    private static String callOrError(ManagedChannel channel) {
        try {
            return ClientCalls.blockingUnaryCall(channel, WHO, CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS), "");
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().toString();
        }
    }

    static Server whoServer(String name) throws IOException {
        ServerServiceDefinition def = ServerServiceDefinition.builder("meshfed.test.Who")
                .addMethod(WHO, ServerCalls.asyncUnaryCall((req, obs) -> {
                    obs.onNext(name);
                    obs.onCompleted();
                }))
                .build();
        return Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(def).build().start();
    }

    static final class Utf8 implements MethodDescriptor.Marshaller<String> {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

}
