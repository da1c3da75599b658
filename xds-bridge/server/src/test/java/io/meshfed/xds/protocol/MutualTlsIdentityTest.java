package io.meshfed.xds.protocol;

import static io.meshfed.xds.protocol.AdsProtocolTest.east;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client certificate's identity through a real mutual-TLS handshake: the bridge listens with TLS and asks
 * for client certificates (certificates made by openssl), a grpc-java client presents one whose DNS name is
 * {@code east.xds.meshfed.example}, and the stream is served as cluster east without any other claim; a
 * {@code CLUSTER_ID} that contradicts the certificate is refused.
 */
class MutualTlsIdentityTest {
    @TempDir
    static Path dir;
    static final Vertx VERTX = Vertx.vertx();
    static final SnapshotCache CACHE = new SnapshotCache();
    static final ConnectedClients CLIENTS = new ConnectedClients();
    static HttpServer http;

    @BeforeAll
    static void start() throws Exception {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                "-out", "ca.crt", "-days", "1", "-subj", "/CN=meshfed test CA");
        issue("server", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        issue("east", "subjectAltName=DNS:east." + io.meshfed.xds.BridgeHarness.DOMAIN);
        AdsServer ads = new AdsServer(CACHE, new ClusterIdentifier(io.meshfed.xds.BridgeHarness.DOMAIN), new XdsMetrics(),
                CLIENTS);
        CACHE.publish(new FederationSnapshot(List.of(east(1, "10.1.0.1"), west(true)),
                new EnvoyTranslator(EnvoyPolicy.DEFAULT), null, Fixtures.T0));
        http = VERTX.createHttpServer(new HttpServerOptions().setSsl(true).setUseAlpn(true)
                        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(file("server.crt")).setKeyPath(file("server.key")))
                        .setTrustOptions(new PemTrustOptions().addCertPath(file("ca.crt")))
                        .setClientAuth(ClientAuth.REQUEST))
                .requestHandler(ads.requestHandler(VERTX))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        VERTX.close();
    }

    static String file(String name) {
        return dir.resolve(name).toString();
    }

    static void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "openssl " + String.join(" ", args) + ": " + out);
    }

    /** A key and a certificate signed by the test CA with the given extension. */
    static void issue(String name, String extension) throws Exception {
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr");
        Files.writeString(dir.resolve(name + ".ext"), extension + "\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
                "-extfile", name + ".ext", "-out", name + ".crt");
    }

    /** A stream's channel and its first response (or final status). */
    record Asked(ManagedChannel channel, CompletableFuture<Object> first) implements AutoCloseable {
        @Override
        public void close() {
            channel.shutdownNow();
        }
    }

    /** Opens a SotW stream with the client's certificate and asks for CDS. */
    static Asked ask(Node node) throws Exception {
        ChannelCredentials tls = TlsChannelCredentials.newBuilder()
                .keyManager(new File(file("east.crt")), new File(file("east.key")))
                .trustManager(new File(file("ca.crt"))).build();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", http.actualPort(), tls).build();
        CompletableFuture<Object> first = new CompletableFuture<>();
        StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
                .streamAggregatedResources(new StreamObserver<>() {
                    public void onNext(DiscoveryResponse r) {
                        first.complete(r);
                    }

                    public void onError(Throwable t) {
                        first.complete(Status.fromThrowable(t));
                    }

                    public void onCompleted() {
                    }
                });
        requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.CLUSTER).build());
        return new Asked(channel, first);
    }

    @Test
    void theCertificateNamesTheCluster() throws Exception {
        try (Asked asked = ask(Node.newBuilder().setId("gw-tls").build())) {
            Object answer = asked.first().get(20, TimeUnit.SECONDS);
            assertTrue(answer instanceof DiscoveryResponse, "served: " + answer);
            assertEquals(2, ((DiscoveryResponse) answer).getResourcesCount(), "east's view: echo and west's cart");
            assertTrue(waitForClient("gw-tls", "east"), "the stream is recorded as cluster east: " + CLIENTS.all());
        }
    }

    @Test
    void aClusterIdContradictingTheCertificateIsRefused() throws Exception {
        Object answer;
        try (Asked asked = ask(Node.newBuilder().setId("gw-liar").setMetadata(Struct.newBuilder().putFields(
                ClusterIdentifier.CLUSTER_ID, Value.newBuilder().setStringValue("west").build())).build())) {
            answer = asked.first().get(20, TimeUnit.SECONDS);
        }
        assertTrue(answer instanceof Status, "refused: " + answer);
        Status status = (Status) answer;
        assertEquals(Status.Code.PERMISSION_DENIED, status.getCode());
        assertTrue(status.getDescription().contains("does not match the client certificate's cluster 'east'"),
                status.getDescription());
    }

    private static boolean waitForClient(String node, String cluster) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (CLIENTS.all().stream().anyMatch(c -> c.nodeId().equals(node) && c.cluster().equals(cluster))) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
