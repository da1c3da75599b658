package io.meshfed.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every image the build made, unpacked from its OCI tarball and run from its own files as a container runtime would
 * (root filesystem read-only, a tmpfs on each declared volume, the image's user; {@link Confined}), until it does its
 * job on the wire: a function answers its CloudEvent (with its AOT cache required: {@code -XX:AOTMode=on} makes the
 * JVM exit if the image's cache does not match the image's runtime and jars), the bridge answers an ADS request, the
 * CSR agent submits its CSR, the workload-events entry refuses an unauthenticated event, the relay dials the bridge
 * over TLS for its istiod, local mode's broker answers an event. The Wasm images hold exactly the built module.
 */
class ImagesTest {
    static Path out;
    static Properties images = new Properties();
    static Path work;

    @BeforeAll
    static void load() throws IOException {
        out = Path.of(System.getProperty("images.out", "target/images"));
        try (InputStream in = Files.newInputStream(out.resolve("images.properties"))) {
            images.load(in);
        }
        work = out.resolveSibling("images-test");
        ImageBuilder.deleteTree(work);
        Files.createDirectories(work);
    }

    static ImageRoot unpack(String name) throws Exception {
        ImageRoot root = ImageRoot.unpack(Path.of(images.getProperty(name)), work.resolve(name));
        assertEquals(ImageCatalog.USER, root.user(), name + " runs as nonroot");
        assertTrue(root.volumes().contains("/tmp"), name + " declares /tmp: " + root.volumes());
        return root;
    }

    static final Map<FirstEvent, String> FUNCTIONS = Map.of(FirstEvent.REGISTRATION, "registration",
            FirstEvent.EXPORT, "export", FirstEvent.PKI, "pki");

    @ParameterizedTest
    @EnumSource(value = FirstEvent.class, names = {"REGISTRATION", "EXPORT", "PKI"})
    void functionAnswersItsFirstEventWithItsAotCache(FirstEvent event) throws Exception {
        String name = FUNCTIONS.get(event);
        ImageRoot root = unpack(name);
        assertTrue(root.entrypoint().contains("-XX:AOTCache=" + ImageSpec.AOT_CACHE), root.entrypoint().toString());
        assertTrue(Files.isRegularFile(root.rootfs().resolve("app/app.aot")), "the image carries its cache");
        ColdStart.Result r = ColdStart.once(root, root.entrypoint(), Map.of("JDK_JAVA_OPTIONS", "-XX:AOTMode=on"),
                event, work.resolve(name + ".log"));
        System.out.printf("%s: first event answered %.0f ms after launch, RSS %.1f MB%n", name, r.firstEventMillis(),
                r.rssKiB() / 1024.0);
        String log = Files.readString(work.resolve(name + ".log"));
        assertTrue(!log.contains("Read-only file system"), "writes only to its volumes:\n" + log);
    }

    @Test
    void bridgeAnswersAds() throws Exception {
        ImageRoot root = unpack("xds-bridge");
        int xds = Training.freePort();
        int http = Training.freePort();
        try (ManagementApi api = new ManagementApi()) {
            Map<String, String> env = new HashMap<>(api.environment());
            env.put("QUARKUS_HTTP_PORT", Integer.toString(http));
            env.put("MESHFED_XDS_PORT", Integer.toString(xds));
            Path log = work.resolve("xds-bridge.log");
            try (Confined c = Confined.start(root, root.entrypoint(), env, Map.of(), log)) {
                ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", xds,
                        InsecureChannelCredentials.create()).overrideAuthority("east.xds.meshfed.example").build();
                try {
                    DiscoveryResponse response = null;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (response == null && System.nanoTime() < deadline && c.process().isAlive()) {
                        response = ask(channel, "networking.istio.io/v1/ServiceEntry");
                    }
                    assertTrue(response != null, "the bridge answered ADS:\n" + Training.tail(log));
                    assertEquals("networking.istio.io/v1/ServiceEntry", response.getTypeUrl());
                } finally {
                    channel.shutdownNow();
                }
            }
        }
    }

    /** One state-of-the-world request as istiod's config-source client sends it; null if none came in 2 s. */
    private static DiscoveryResponse ask(ManagedChannel channel, String typeUrl) throws InterruptedException {
        BlockingQueue<Object> responses = new LinkedBlockingQueue<>();
        StreamObserver<DiscoveryRequest> stream = AggregatedDiscoveryServiceGrpc.newStub(channel)
                .streamAggregatedResources(new StreamObserver<>() {
                    @Override
                    public void onNext(DiscoveryResponse r) {
                        responses.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        responses.add(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        stream.onNext(DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).setResponseNonce("2026-01-01 00:00:00 UTC")
                .setNode(Node.newBuilder().setId("sidecar~10.1.0.5~istiod-1.istio-system~istio-system.svc.cluster.local"))
                .build());
        Object r = responses.poll(2, TimeUnit.SECONDS);
        stream.onCompleted();
        if (r instanceof DiscoveryResponse d) {
            return d;
        }
        Thread.sleep(200);
        return null;
    }

    @Test
    void csrAgentSubmitsItsCsrAndWritesOnlyItsVolumes() throws Exception {
        ImageRoot root = unpack("csr-agent");
        assertTrue(root.volumes().contains("/var/run/meshfed/cacerts"), root.volumes().toString());
        BlockingQueue<Map<String, String>> received = new LinkedBlockingQueue<>();
        HttpServer pki = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pki.createContext("/", exchange -> {
            Map<String, String> seen = new HashMap<>();
            seen.put("type", exchange.getRequestHeaders().getFirst("ce-type"));
            seen.put("subject", exchange.getRequestHeaders().getFirst("ce-subject"));
            seen.put("body", new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            received.add(seen);
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        pki.start();
        Path tmp = work.resolve("csr-agent-tmp");
        Files.createDirectories(tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(tmp.resolve("token"), "a-projected-token");
        try (ManagementApi api = new ManagementApi()) {
            Map<String, String> env = new HashMap<>(api.environment());
            env.put("MESHFED_CLUSTER", "east");
            env.put("MESHFED_TRUST_DOMAIN", "east.meshfed.example");
            env.put("MESHFED_PKI_URL", "http://127.0.0.1:" + pki.getAddress().getPort() + "/");
            env.put("MESHFED_TOKEN_FILE", "/tmp/token");
            env.put("MESHFED_AGENT_OUTPUT", "file");
            int http = Training.freePort(); // the runs share the host's network
            env.put("MESHFED_HTTP_PORT", Integer.toString(http));
            Path log = work.resolve("csr-agent.log");
            try (Confined c = Confined.start(root, root.entrypoint(), env, Map.of("/tmp", tmp), log)) {
                Map<String, String> csr = received.poll(90, TimeUnit.SECONDS);
                assertTrue(csr != null, "the agent submitted a CSR:\n" + Training.tail(log));
                assertEquals("io.meshfed.csr.submitted", csr.get("type"));
                assertEquals("east", csr.get("subject"));
                assertTrue(csr.get("body").contains("BEGIN CERTIFICATE REQUEST"), csr.get("body"));
                assertTrue(c.process().isAlive(), "keeps running, retrying:\n" + Training.tail(log));
                // its metrics and readiness from the image: the 503 counted, not ready without a certificate
                java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
                String metrics = "";
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!metrics.lines().anyMatch(l -> l.startsWith(
                        "meshfed_agent_csr_requests_total{outcome=\"unavailable\"}") && !l.endsWith(" 0.0"))) {
                    assertTrue(System.nanoTime() < deadline, "the 503 counted:\n" + metrics + Training.tail(log));
                    try {
                        metrics = client.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + http + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    } catch (java.io.IOException notListeningYet) {
                        metrics = "";
                    }
                    Thread.sleep(100);
                }
                assertEquals(503, client.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + http + "/q/health/ready")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                        .statusCode());
            }
        } finally {
            pki.stop(0);
        }
    }

    @Test
    void workloadEventsEntryRefusesAnEventWithoutItsSendersToken() throws Exception {
        ImageRoot root = unpack("workload-events");
        int http = Training.freePort();
        try (ManagementApi api = new ManagementApi()) {
            Map<String, String> env = new HashMap<>(api.environment());
            env.put("QUARKUS_HTTP_PORT", Integer.toString(http));
            Path log = work.resolve("workload-events.log");
            try (Confined c = Confined.start(root, root.entrypoint(), env, Map.of(), log)) {
                URI entry = URI.create("http://127.0.0.1:" + http + "/");
                // An ApiServerSource event that names no cluster: refused, naming the extension.
                CloudEventClient.Reply unnamed = new CloudEventClient().sendWhenListening(entry,
                        "dev.knative.apiserver.resource.update", null, "{}", c.process(),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
                assertEquals(400, unnamed.status(), unnamed.body() + "\n" + Training.tail(log));
                assertTrue(unnamed.body().contains("\"field\":\"meshfedcluster\""), unnamed.body());
                // One that names east but carries no bearer token: refused before anything is read or sent on.
                java.net.http.HttpResponse<String> anonymous = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(entry).header("ce-specversion", "1.0")
                                .header("ce-id", "images-1").header("ce-source", "meshfed/images")
                                .header("ce-type", "dev.knative.apiserver.resource.update")
                                .header("ce-meshfedcluster", "east").header("content-type", "application/json")
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(401, anonymous.statusCode(), anonymous.body());
                assertTrue(anonymous.body().contains("\"field\":\"authorization\""), anonymous.body());
            }
        }
    }

    @Test
    void relayListensOnLoopbackAndDialsTheBridgeOverTls() throws Exception {
        ImageRoot root = unpack("xds-relay");
        Path tmp = work.resolve("xds-relay-tmp");
        Files.createDirectories(tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        // The relay's client certificate, key and meshfed's root bundle, as its Secret would mount them.
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=east-relay", "-keyout",
                tmp.resolve("tls.key").toString(), "-out", tmp.resolve("tls.crt").toString())
                .redirectErrorStream(true).start();
        String opensslOut = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, openssl.waitFor(), opensslOut);
        Files.copy(tmp.resolve("tls.crt"), tmp.resolve("ca.crt"));
        for (String f : List.of("tls.key", "tls.crt", "ca.crt")) {
            Files.setPosixFilePermissions(tmp.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
        }
        BlockingQueue<byte[]> dialled = new LinkedBlockingQueue<>();
        try (java.net.ServerSocket bridge = new java.net.ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            Thread accept = new Thread(() -> {
                try (java.net.Socket s = bridge.accept()) {
                    s.setSoTimeout(30_000);
                    byte[] hello = new byte[1024];
                    int n = s.getInputStream().read(hello);
                    dialled.add(java.util.Arrays.copyOf(hello, Math.max(n, 0)));
                } catch (IOException e) {
                    dialled.add(new byte[0]);
                }
            }, "fake-bridge");
            accept.setDaemon(true);
            accept.start();
            int listen = Training.freePort();
            int monitor = Training.freePort();
            Map<String, String> env = Map.of("MESHFED_RELAY_LISTEN", "127.0.0.1:" + listen,
                    "MESHFED_RELAY_METRICS_LISTEN", "127.0.0.1:" + monitor,
                    "MESHFED_BRIDGE_ADDRESS", "127.0.0.1:" + bridge.getLocalPort(),
                    "MESHFED_BRIDGE_SERVER_NAME", "xds.meshfed.example",
                    "MESHFED_RELAY_CERT_FILE", "/tmp/tls.crt", "MESHFED_RELAY_KEY_FILE", "/tmp/tls.key",
                    "MESHFED_RELAY_CA_FILE", "/tmp/ca.crt");
            Path log = work.resolve("xds-relay.log");
            try (Confined c = Confined.start(root, root.entrypoint(), env, Map.of("/tmp", tmp), log)) {
                ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", listen,
                        InsecureChannelCredentials.create()).build();
                try {
                    byte[] hello = null;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (hello == null && System.nanoTime() < deadline && c.process().isAlive()) {
                        ask(channel, "networking.istio.io/v1/ServiceEntry"); // istiod's first request, relayed
                        hello = dialled.poll(1, TimeUnit.SECONDS);
                    }
                    assertTrue(hello != null, "the relay dialled the bridge:\n" + Training.tail(log));
                    assertEquals(0x16, hello[0], "a TLS handshake record, never plaintext, to the bridge");
                    assertTrue(new String(hello, StandardCharsets.ISO_8859_1).contains("xds.meshfed.example"),
                            "the ClientHello names the bridge's server name");
                    // its metrics and health listener, from the image's own files
                    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                    var live = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + monitor + "/q/health/live")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, live.statusCode(), live.body());
                    var metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + monitor + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertTrue(metrics.body().lines().anyMatch(l -> l.matches(
                            "meshfed_relay_connections_accepted_total [1-9][0-9]*")), metrics.body());
                } finally {
                    channel.shutdownNow();
                }
            }
        }
    }

    @Test
    void localModeBrokerAnswersAnEvent() throws Exception {
        ImageRoot root = unpack("local");
        assertTrue(root.volumes().contains("/var/lib/meshfed"), root.volumes().toString());
        int broker = Training.freePort();
        List<String> command = new ArrayList<>(root.entrypoint());
        command.addAll(List.of("--broker-port", Integer.toString(broker), "--xds-port",
                Integer.toString(Training.freePort())));
        Path log = work.resolve("local.log");
        String bad = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(root.rootfs().resolve("app/examples/requests/register-bad.json").toFile()).get("data").toString();
        try (Confined c = Confined.start(root, command, Map.of(), Map.of(), log)) {
            CloudEventClient.Reply reply = new CloudEventClient().sendWhenListening(
                    URI.create("http://127.0.0.1:" + broker + "/"), "io.meshfed.cluster.registration.requested", null,
                    bad, c.process(), System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
            assertEquals("io.meshfed.cluster.registration.rejected", reply.type().orElse("(none) " + reply.status()
                    + " " + reply.body() + "\n" + Training.tail(log)));
        }
    }

    @Test
    void wasmImagesAreTheCompatVariantHoldingTheModule() throws Exception {
        for (Map.Entry<String, Path> f : ImageCatalog.wasmFilters(Path.of(System.getProperty("images.repo", "..")))
                .entrySet()) {
            ImageRoot root = ImageRoot.unpack(Path.of(images.getProperty("wasm-" + f.getKey())),
                    work.resolve("wasm-" + f.getKey()));
            assertEquals(1, root.layerDigests().size(), "one layer: " + root.layerDigests());
            assertEquals(List.of("application/vnd.oci.image.layer.v1.tar+gzip"), root.layerMediaTypes());
            assertEquals("compat", root.manifest().path("annotations").path(WasmImage.VARIANT).asText(),
                    "the compat variant's annotation: " + root.manifest());
            try (var files = Files.list(root.rootfs())) {
                assertEquals(List.of("plugin.wasm"), files.map(p -> p.getFileName().toString()).toList());
            }
            byte[] module = Files.readAllBytes(root.rootfs().resolve("plugin.wasm"));
            assertArrayEquals(Files.readAllBytes(f.getValue()), module, f.getKey());
            assertArrayEquals(new byte[] {0, 'a', 's', 'm'}, java.util.Arrays.copyOf(module, 4));
        }
    }
}
