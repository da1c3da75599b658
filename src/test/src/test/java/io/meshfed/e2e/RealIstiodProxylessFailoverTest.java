package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.meshfed.e2e.CloudEventsHttp.Answer;
import io.meshfed.e2e.CloudEventsHttp.Mode;
import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.PeerTls;
import io.meshfed.testsupport.peers.Peers;
import io.meshfed.xds.GrpcXdsWorkload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxyless failover through a real istiod: a grpc-java xDS client whose bootstrap points at east's real istiod
 * (node metadata {@code GENERATOR: grpc}, a sidecar node id, no Pod) calls the federated {@code echo} service on a
 * flat network. It answers from its own locality (east) first; when east's pod is marked not ready in east's real
 * API server and export syncs, calls fail over to west; when it is ready again, they come back. Between the client
 * and the backends there are only real programs: meshfed's bridge, istiod, kube-apiserver.
 *
 * <p>Here istiod reads meshfed's resources over one config source; {@link RealIstiodShardedFailoverTest} runs the
 * same calls with istiod merging three sharded sources, for each Istio version.
 *
 * <p>grpc-java reads its xDS bootstrap once per JVM: this class runs in a JVM of its own (surefire reuseForks=false).
 */
@ExtendWith(PeerLogsOnFailure.class)
class RealIstiodProxylessFailoverTest {

    /**
     * What istiod needs for proxyless gRPC clients whatever its version: no absolute-FQDN virtual host domains
     * ({@code echo.demo.svc.clusterset.local.}). istiod adds them by default, and grpc-java refuses a route
     * configuration holding one ("Invalid pattern/domain name"); istiod builds that answer a proxyless client with
     * only its requested host's virtual host hide this, older ones send every host on the port and break.
     */
    static final Map<String, String> PROXYLESS_ENV = Map.of("PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN", "false");

    /** East's istiod, as this class runs it. */
    Istiod startIstiod(RealFleet fleet) throws Exception {
        return fleet.startIstiod("east", Peers.get().istio(), PROXYLESS_ENV);
    }

    @Test
    void failsOverToWestAndComesBackThroughIstiod(@TempDir Path dir) throws Exception {
        Server eastServer = GrpcXdsWorkload.whoServer("east");
        Server westServer = GrpcXdsWorkload.whoServer("west");
        String host = RealFleet.hostAddress();
        // the workload certificate files grpc-java's 'default' certificate provider watches (see istiodChannel)
        Path certs = java.nio.file.Files.createDirectories(dir.resolve("workload-certs"));
        PeerTls workload = PeerTls.create("workload", List.of("client.demo"), List.of());
        java.nio.file.Files.writeString(certs.resolve("cert.pem"), workload.certificatePem());
        java.nio.file.Files.writeString(certs.resolve("key.pem"), workload.keyPem());
        java.nio.file.Files.writeString(certs.resolve("ca.pem"), workload.caPem());
        try (RealFleet fleet = RealFleet.start(dir, new FlatExample.Pod(host, eastServer.getPort()),
                new FlatExample.Pod(host, westServer.getPort()));
                Istiod istiod = startIstiod(fleet)) {
            for (String target : List.of("xds:///echo.demo.svc.clusterset.local:7070", "xds:///echo.demo.svc.east.global:7070")) {
                ManagedChannel channel = GrpcXdsWorkload.istiodChannel(istiod.grpcPort(), "us-east", "us-east-a", target, certs);
                try {
                    // the first call waits for istiod's LDS, RDS, CDS and EDS
                    assertEquals("east", GrpcXdsWorkload.call(channel, 60), target + ": the caller's own locality first");
                    assertEquals("east", GrpcXdsWorkload.call(channel, 10));
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }

            ManagedChannel channel = GrpcXdsWorkload.istiodChannel(istiod.grpcPort(), "us-east", "us-east-a",
                    "xds:///echo.demo.svc.clusterset.local:7070", certs);
            try {
                assertEquals("east", GrpcXdsWorkload.call(channel, 60));
                setReady(fleet, false);
                List<String> seen = GrpcXdsWorkload.callUntil(channel, "west", Duration.ofSeconds(60));
                assertEquals("west", seen.get(seen.size() - 1), "calls fail over to west; saw " + seen);
                for (int i = 0; i < 5; i++) {
                    assertEquals("west", GrpcXdsWorkload.call(channel, 10), "east's only pod is not ready");
                }

                setReady(fleet, true);
                List<String> back = GrpcXdsWorkload.callUntil(channel, "east", Duration.ofSeconds(60));
                assertEquals("east", back.get(back.size() - 1), "calls come back to east; saw " + back);
                assertEquals("east", GrpcXdsWorkload.call(channel, 10));
                assertEquals(0, fleet.mesh().xdsMetrics().nacks(), "istiod never NACKs meshfed's config");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            eastServer.shutdownNow();
            westServer.shutdownNow();
        }
    }

    /** Writes east's pod readiness to east's real API server, then has meshfed's export sync east. */
    static void setReady(RealFleet fleet, boolean ready) throws Exception {
        KubernetesClient east = fleet.apiServer("east").admin();
        EndpointSlice slice = east.discovery().v1().endpointSlices().inNamespace("demo").withName("echo-1").get();
        slice.getEndpoints().get(0).getConditions().setReady(ready);
        east.resource(slice).update();
        Answer sync = fleet.events().send(CloudEventsHttp.event("io.meshfed.service.export.sync", "east", null),
                Mode.STRUCTURED);
        assertEquals("io.meshfed.catalog.changed", sync.reply().orElseThrow(
                () -> new AssertionError("export sync answered " + sync.status() + ": " + sync.body())).getType());
    }
}
