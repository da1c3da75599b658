package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
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
import io.meshfed.e2e.CloudEventsHttp.Answer;
import io.meshfed.e2e.CloudEventsHttp.Mode;
import io.meshfed.local.ExampleCluster;
import io.meshfed.local.LocalMesh;
import io.meshfed.local.WorkloadApiServer;
import io.meshfed.model.ModelJson;
import io.meshfed.xds.protocol.ClientStatus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grpc-java's own xDS client, bootstrapped against the local mode's bridge as a workload of cluster {@code east},
 * calls {@code xds:///echo.demo.svc.clusterset.local:7070}. The two clusters share one flat network, so the
 * endpoints are the pods themselves: two real gRPC servers, east's on 127.0.0.1 and west's on 127.0.0.2, named
 * in each cluster's EndpointSlice. Calls go to east (the caller's own locality). Then east's server stops, east's
 * EndpointSlice marks the pod not ready, an export sync CloudEvent makes meshfed re-read east, and calls fail over
 * to west. grpc-java validates every resource it gets and NACKs what it rejects: no NACK may be recorded.
 *
 * <p>grpc-java reads its xDS bootstrap once per JVM: this class runs in its own JVM (surefire reuseForks=false).
 */
class GrpcXdsFailoverEndToEndTest {
    static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("meshfed.e2e.Who/Name")
            .setRequestMarshaller(new Utf8()).setResponseMarshaller(new Utf8()).build();

    @Test
    void callsReachEastThenFailOverToWestThroughTheBridge(@TempDir Path temp) throws Exception {
        Server eastServer = whoServer("east");
        Server westServer = whoServer("west");
        Path example = FlatExample.write(Files.createDirectories(temp.resolve("example")),
                new FlatExample.Pod("127.0.0.1", eastServer.getPort()),
                new FlatExample.Pod("127.0.0.2", westServer.getPort()));
        try (LocalMesh mesh = LocalMesh.start(new LocalMesh.Settings(temp.resolve("state"),
                Path.of(System.getProperty("meshfed.triggers", "../../knative/manifests/eventing/triggers")),
                "127.0.0.1", 0, 0, ExampleCluster.loadAll(example), null), line -> System.out.println("mesh: " + line))) {
            CloudEventsHttp events = new CloudEventsHttp(mesh.brokerUrl());
            for (String[] c : List.of(new String[] {"east", "us-east", "us-east-a", "192.0.2.1"},
                    new String[] {"west", "us-west", "us-west-a", "192.0.2.2"})) {
                Answer a = events.send(CloudEventsHttp.event("io.meshfed.cluster.registration.requested", null,
                        registration(mesh.apiServer(c[0]), c[0], c[1], c[2], c[3])), Mode.BINARY);
                assertEquals("io.meshfed.cluster.registered", a.reply().orElseThrow().getType(), a.body());
                assertTrue(mesh.runAgent(c[0]).isPresent(), c[0] + " got its intermediate CA");
            }

            System.setProperty("io.grpc.xds.bootstrapConfig", """
                    {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                                      "server_features": ["xds_v3"]}],
                     "node": {"id": "proxyless~10.1.0.9~client.demo~demo.svc.cluster.local",
                              "locality": {"region": "us-east", "zone": "us-east-a"},
                              "metadata": {"CLUSTER_ID": "east"}}}
                    """.formatted(mesh.xdsPort()));
            ManagedChannel channel = Grpc.newChannelBuilder("xds:///echo.demo.svc.clusterset.local:7070",
                    InsecureChannelCredentials.create()).build();
            try {
                // the first call waits for LDS, RDS, CDS and EDS; generous for a loaded 2-core machine
                assertEquals("east", call(channel, 60), "the caller's own locality answers first");
                assertEquals("east", call(channel, 10));

                eastServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                WorkloadApiServer eastApi = mesh.apiServer("east");
                EndpointSlice slice = eastApi.client().discovery().v1().endpointSlices().inNamespace("demo")
                        .withName("echo-1").get();
                slice.getEndpoints().get(0).getConditions().setReady(false);
                eastApi.client().resource(slice).update();
                Answer sync = events.send(CloudEventsHttp.event("io.meshfed.service.export.sync", "east", null),
                        Mode.STRUCTURED);
                assertEquals("io.meshfed.catalog.changed", sync.reply().orElseThrow().getType(), sync.body());
                assertEquals(2, ModelJson.mapper().readTree(sync.replyData()).get("version").asInt());

                List<String> seen = new ArrayList<>();
                Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
                while (Instant.now().isBefore(deadline)) {
                    String who = callOrError(channel);
                    seen.add(who);
                    if (who.equals("west")) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertEquals("west", seen.get(seen.size() - 1), "calls fail over to west; saw " + seen);
                assertEquals("west", call(channel, 10));
                assertEquals("west", call(channel, 10));

                ClientStatus status = mesh.xdsClients().all().get(0);
                assertEquals("east", status.cluster());
                for (ClientStatus.TypeStatus t : status.types().values()) {
                    assertEquals(null, t.lastNack(), t.typeUrl() + " never NACKed");
                }
                assertEquals(0, mesh.xdsMetrics().nacks(), "grpc-java accepted every resource");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            eastServer.shutdownNow();
            westServer.shutdownNow();
        }
    }

    static String registration(WorkloadApiServer api, String name, String region, String zone, String gateway)
            throws IOException {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", name);
        data.put("network", "net-flat");
        data.put("locality", Map.of("region", region, "zone", zone));
        data.put("eastWestGateway", Map.of("address", gateway, "port", 15443));
        data.put("trustDomain", name + ".e2e.meshfed.example");
        data.put("apiServer", Map.of("url", api.url(), "caData", api.caPem()));
        data.put("credentials", Map.of("token", api.token()));
        return ModelJson.mapper().writeValueAsString(data);
    }

    private static String call(ManagedChannel channel, int seconds) {
        return ClientCalls.blockingUnaryCall(channel, WHO, CallOptions.DEFAULT.withDeadlineAfter(seconds, TimeUnit.SECONDS), "");
    }

    private static String callOrError(ManagedChannel channel) {
        try {
            return call(channel, 2);
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().toString();
        }
    }

    static Server whoServer(String name) throws IOException {
        ServerServiceDefinition def = ServerServiceDefinition.builder("meshfed.e2e.Who")
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
