package io.meshfed.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

/**
 * A proxyless gRPC workload for failover tests: servers that answer their own name, and a client that resolves an
 * {@code xds:///} target through grpc-java's own xDS client. Shared by the bridge's tests and the end-to-end tests
 * (published in this module's test jar).
 *
 * <p>grpc-java reads its xDS bootstrap once per JVM: a test class using {@link #bootstrap} needs its own JVM.
 */
public final class GrpcXdsWorkload {
    /** {@code Who/Name}: answers the name its server was started with. */
    public static final MethodDescriptor<String, String> WHO = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("meshfed.test.Who/Name")
            .setRequestMarshaller(new Utf8())
            .setResponseMarshaller(new Utf8())
            .build();

    private GrpcXdsWorkload() {
    }

    /** Every type the client reads from the bridge has its latest version ACKed and was never NACKed. */
    public static void assertEveryTypeAckedNeverNacked(ClientStatus status) {
        for (ClientStatus.TypeStatus t : status.types().values()) {
            assertEquals(t.sentVersion(), t.ackedVersion(), t.typeUrl() + " latest version ACKed");
            assertEquals(null, t.lastNack(), t.typeUrl() + " never NACKed");
        }
    }

    /** A plaintext server on a free port of all interfaces that answers {@code name}. */
    public static Server whoServer(String name) throws IOException {
        ServerServiceDefinition def = ServerServiceDefinition.builder("meshfed.test.Who")
                .addMethod(WHO, ServerCalls.asyncUnaryCall((req, obs) -> {
                    obs.onNext(name);
                    obs.onCompleted();
                }))
                .build();
        return Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(def).build().start();
    }

    /**
     * Points grpc-java's xDS client at the bridge on {@code xdsPort} as a proxyless workload of {@code cluster} in
     * {@code region}/{@code zone}, and opens a channel to {@code target} (an {@code xds:///} URI).
     */
    public static ManagedChannel xdsChannel(int xdsPort, String cluster, String region, String zone, String target) {
        System.setProperty("io.grpc.xds.bootstrapConfig", """
                {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                                  "server_features": ["xds_v3"]}],
                 "node": {"id": "proxyless~10.1.0.9~client.demo~demo.svc.cluster.local",
                          "locality": {"region": "%s", "zone": "%s"},
                          "metadata": {"CLUSTER_ID": "%s"}}}
                """.formatted(xdsPort, region, zone, cluster));
        return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    }

    /**
     * Points grpc-java's xDS client at a real istiod's plaintext xDS port as a proxyless workload ({@code GENERATOR:
     * grpc}, a sidecar node id, no Pod), in {@code region}/{@code zone}, and opens a channel to {@code target}.
     *
     * <p>istiod turns a DestinationRule's {@code ISTIO_MUTUAL} into an UpstreamTlsContext naming the certificate
     * provider instance {@code default}, which grpc-java refuses unless its bootstrap defines it (as istio-agent's
     * bootstrap does, with a {@code file_watcher} over the workload certificate). The bootstrap here defines it over
     * {@code certDir}'s {@code cert.pem}, {@code key.pem} and {@code ca.pem}; the channel itself uses plaintext
     * credentials, so calls reach plaintext test backends.
     */
    public static ManagedChannel istiodChannel(int istiodGrpcPort, String region, String zone, String target,
            java.nio.file.Path certDir) {
        System.setProperty("io.grpc.xds.bootstrapConfig", """
                {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                                  "server_features": ["xds_v3"]}],
                 "node": {"id": "sidecar~127.0.0.9~client.demo~demo.svc.cluster.local",
                          "locality": {"region": "%s", "zone": "%s"},
                          "metadata": {"GENERATOR": "grpc", "NAMESPACE": "demo", "ISTIO_VERSION": "1.31.0"}},
                 "certificate_providers": {"default": {"plugin_name": "file_watcher", "config": {
                     "certificate_file": "%s", "private_key_file": "%s", "ca_certificate_file": "%s",
                     "refresh_interval": "900s"}}}}
                """.formatted(istiodGrpcPort, region, zone, certDir.resolve("cert.pem"), certDir.resolve("key.pem"),
                        certDir.resolve("ca.pem")));
        return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    }

    /** One call; its answer, or the failure as a status exception. */
    public static String call(ManagedChannel channel, int seconds) {
        return ClientCalls.blockingUnaryCall(channel, WHO, CallOptions.DEFAULT.withDeadlineAfter(seconds, TimeUnit.SECONDS), "");
    }

    /**
     * Calls every 100 ms until {@code expected} answers or {@code timeout} passes; every answer (or status code of
     * a failed call) in order, the last one {@code expected} on success.
     */
    public static List<String> callUntil(ManagedChannel channel, String expected, Duration timeout)
            throws InterruptedException {
        List<String> seen = new ArrayList<>();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            String who;
            try {
                who = call(channel, 2);
            } catch (StatusRuntimeException e) {
                who = e.getStatus().getCode().toString();
            }
            seen.add(who);
            if (who.equals(expected)) {
                break;
            }
            Thread.sleep(100);
        }
        return seen;
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
