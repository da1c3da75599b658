package io.meshfed.e2e;

import static io.meshfed.xds.GrpcXdsWorkload.call;
import static io.meshfed.xds.GrpcXdsWorkload.callUntil;
import static io.meshfed.xds.GrpcXdsWorkload.whoServer;
import static io.meshfed.xds.GrpcXdsWorkload.xdsChannel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.meshfed.e2e.CloudEventsHttp.Answer;
import io.meshfed.e2e.CloudEventsHttp.Mode;
import io.meshfed.local.ExampleCluster;
import io.meshfed.local.LocalMesh;
import io.meshfed.local.WorkloadApiServer;
import io.meshfed.model.ModelJson;
import io.meshfed.xds.protocol.ClientStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
                        FlatExample.registration(mesh.apiServer(c[0]), c[0], c[1], c[2], c[3])), Mode.BINARY);
                assertEquals("io.meshfed.cluster.registered", a.reply().orElseThrow().getType(), a.body());
                assertTrue(mesh.runAgent(c[0]).isPresent(), c[0] + " got its intermediate CA");
            }

            ManagedChannel channel = xdsChannel(mesh.xdsPort(), "east", "us-east", "us-east-a",
                    "xds:///echo.demo.svc.clusterset.local:7070");
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

                List<String> seen = callUntil(channel, "west", Duration.ofSeconds(30));
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
}
