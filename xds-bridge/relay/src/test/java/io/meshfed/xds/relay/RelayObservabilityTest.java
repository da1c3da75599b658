package io.meshfed.xds.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.OpensslCa;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.AdsTls;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay's metrics and health listener (docs/observability.md, "xDS relay"), scraped and probed over HTTP while a
 * grpc-java client speaks plaintext h2c through the relay to a real bridge on mutual TLS (as in {@link XdsRelayTest}):
 * the series move with the traffic, a failed dial is counted under its reason, and readiness goes DOWN, saying why,
 * when the bridge cannot be reached or the client certificate expired. The last scrape of a relay that relayed
 * traffic is written to {@code target/metrics/xds-relay.txt} for the observability check ({@code observability/}).
 */
class RelayObservabilityTest {
    static final String BRIDGE_NAME = "bridge.meshfed.test";
    static final Vertx VERTX = Vertx.vertx();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    static OpensslCa root;
    static OpensslCa.Issued east;
    static OpensslCa.Issued server;
    static BridgeHarness bridge;

    @BeforeAll
    static void start() throws Exception {
        root = OpensslCa.create(dir, "meshfed");
        server = root.issue("bridge", "DNS:" + BRIDGE_NAME);
        east = root.issue("east", "DNS:east." + BridgeHarness.DOMAIN);
        bridge = startBridge();
    }

    static BridgeHarness startBridge() throws Exception {
        BridgeHarness b = new BridgeHarness(null, AdsServer.DEFAULT_MAX_STREAMS_PER_CLUSTER, "127.0.0.1",
                new AdsTls(server.certificate(), server.key(), root.certificate()));
        MeshCluster eastCluster = Fixtures.cluster("east", "net-east", XdsRelayTest.EAST_A, "192.0.2.10", 15443);
        b.publish(Fixtures.catalog(eastCluster, 1, Fixtures.grpcService("demo", "echo", 7070, 7070,
                Fixtures.endpoint("10.1.0.1", XdsRelayTest.EAST_A, true))));
        return b;
    }

    @AfterAll
    static void stop() throws Exception {
        VERTX.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        bridge.close();
    }

    /** A relay with its own metrics, and its monitor on a free loopback port. */
    record Relay(XdsRelay relay, RelayMonitor monitor) implements AutoCloseable {
        static Relay start(OpensslCa.Issued client, int bridgePort, String serverName, Path ca) throws Exception {
            XdsRelay relay = XdsRelay.start(VERTX, List.of(new RelaySettings("127.0.0.1", 0, "127.0.0.1", bridgePort,
                    serverName, client.certificate(), client.key(), ca)), new RelayMetrics(), Clock.systemUTC())
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            RelayMonitor monitor = RelayMonitor.start(VERTX, relay, "127.0.0.1", 0, Clock.systemUTC(),
                    RelayMain.READY_AFTER_CONNECTED).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            return new Relay(relay, monitor);
        }

        HttpResponse<String> get(String path) throws Exception {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitor.port() + path))
                    .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
        }

        /** Every sample of {@code GET /metrics}, keyed as written: {@code name{label="value",...}}. */
        Map<String, Double> scrape() throws Exception {
            HttpResponse<String> r = get("/metrics");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
            Map<String, Double> samples = new HashMap<>();
            for (String line : r.body().split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    int space = line.lastIndexOf(' ');
                    samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                }
            }
            return samples;
        }

        /** The health check {@code name} of a {@code /q/health/*} answer. */
        static JsonObject check(HttpResponse<String> health, String name) {
            return new JsonObject(health.body()).getJsonArray("checks").stream().map(JsonObject.class::cast)
                    .filter(c -> name.equals(c.getString("name"))).findFirst().orElseThrow(
                            () -> new AssertionError("no check " + name + " in " + health.body()));
        }

        /** Scrapes until {@code condition} holds (connections close asynchronously), for at most 10 s. */
        Map<String, Double> scrapeUntil(Predicate<Map<String, Double>> condition) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Map<String, Double> s = scrape();
            while (!condition.test(s) && System.nanoTime() < deadline) {
                Thread.sleep(20);
                s = scrape();
            }
            return s;
        }

        @Override
        public void close() throws Exception {
            monitor.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            relay.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    static double expiry(Path certificate) throws Exception {
        try (InputStream in = Files.newInputStream(certificate)) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getNotAfter()
                    .toInstant().toEpochMilli() / 1000.0;
        }
    }

    static final String ACCEPTED = "meshfed_relay_connections_accepted_total";
    static final String OPEN = "meshfed_relay_connections_open";
    static final String UPSTREAM_OPEN = "meshfed_relay_upstream_connections_open";
    static final String CONNECTED_AT = "meshfed_relay_upstream_connected_timestamp_seconds";
    static final String EXPIRY = "meshfed_relay_client_certificate_expiry_timestamp_seconds";

    static String failures(String reason) {
        return "meshfed_relay_upstream_dial_failures_total{reason=\"" + reason + "\"}";
    }

    static String bytes(String direction) {
        return "meshfed_relay_relayed_bytes_total{direction=\"" + direction + "\"}";
    }

    static String frames(String direction, String type) {
        return "meshfed_relay_relayed_frames_total{direction=\"" + direction + "\",type=\"" + type + "\"}";
    }

    @Test
    void theSeriesFollowRelayedTrafficAndTheRelayIsReadyWhileTheBridgeAnswers() throws Exception {
        try (Relay relay = Relay.start(east, bridge.port(), BRIDGE_NAME, root.certificate())) {
            Map<String, Double> before = relay.scrape();
            assertEquals(0.0, before.get(ACCEPTED));
            assertEquals(0.0, before.get(CONNECTED_AT), "no connection to the bridge yet");
            assertEquals(expiry(east.certificate()), before.get(EXPIRY), "the loaded certificate's notAfter");
            for (String reason : List.of("refused", "timeout", "unresolved", "untrusted", "name-mismatch",
                    "certificate-refused", "tls", "no-h2", "other")) {
                assertEquals(0.0, before.get(failures(reason)), reason + " exists at 0 from the start");
            }
            assertEquals(0.0, before.get("meshfed_relay_certificate_reloads_total{outcome=\"reloaded\"}"));

            HttpResponse<String> live = relay.get("/q/health/live");
            assertEquals(200, live.statusCode(), live.body());
            assertEquals("UP", Relay.check(live, "event-loop").getString("status"));
            // nothing relayed yet: readiness dials the bridge itself and waits for its answer
            HttpResponse<String> ready = relay.get("/q/health/ready");
            assertEquals(200, ready.statusCode(), ready.body());
            assertEquals("UP", Relay.check(ready, "certificate").getString("status"), ready.body());
            assertEquals("UP", Relay.check(ready, "bridge").getString("status"), ready.body());
            Map<String, Double> probed = relay.scrapeUntil(s -> s.get(UPSTREAM_OPEN) == 0.0);
            assertTrue(probed.get(CONNECTED_AT) > 0, "the probe's dial was answered: " + probed);
            assertEquals(0.0, probed.get(ACCEPTED), "a probe is no istiod connection");
            assertEquals(0.0, probed.get(bytes("to-bridge")), "a probe's bytes are not relayed bytes");

            DiscoveryResponse response;
            try (AdsTestClient client = new AdsTestClient(relay.relay().port(), null)) {
                response = XdsRelayTest.ask(client, XdsRelayTest.istiodNode("istiod-observed", null)).next();
                assertTrue(response.getResourcesCount() > 0, response.toString());
                Map<String, Double> during = relay.scrape();
                assertEquals(1.0, during.get(ACCEPTED));
                assertEquals(1.0, during.get(OPEN));
                assertEquals(1.0, during.get(UPSTREAM_OPEN));
                assertTrue(during.get(CONNECTED_AT) >= probed.get(CONNECTED_AT));
                // the client's preface, SETTINGS, HEADERS and the request's DATA; the response's DATA back
                assertTrue(during.get(bytes("to-bridge")) > 24, during.toString());
                assertTrue(during.get(bytes("to-istiod")) >= response.getSerializedSize(), during.toString());
                assertTrue(during.get(frames("to-bridge", "headers")) >= 1, during.toString());
                assertTrue(during.get(frames("to-bridge", "data")) >= 1, during.toString());
                assertTrue(during.get(frames("to-bridge", "control")) >= 1, "SETTINGS at least: " + during);
                assertTrue(during.get(frames("to-istiod", "headers")) >= 1, during.toString());
                assertTrue(during.get(frames("to-istiod", "data")) >= 1, during.toString());
                HttpResponse<String> readyDuring = relay.get("/q/health/ready");
                assertEquals(200, readyDuring.statusCode(), readyDuring.body());
                assertEquals(1, Relay.check(readyDuring, "bridge").getJsonObject("data").getInteger("connectionsOpen"));
            }
            Map<String, Double> after = relay.scrapeUntil(s -> s.get(OPEN) == 0.0 && s.get(UPSTREAM_OPEN) == 0.0);
            assertEquals(0.0, after.get(OPEN), "istiod's connection closed: " + after);
            assertEquals(0.0, after.get(UPSTREAM_OPEN), "and the bridge's with it: " + after);
            assertEquals(1.0, after.get(ACCEPTED));
            for (String reason : List.of("refused", "untrusted", "name-mismatch", "certificate-refused", "tls")) {
                assertEquals(0.0, after.get(failures(reason)), reason);
            }

            HttpResponse<String> metrics = relay.get("/metrics");
            assertFalse(metrics.body().contains("BEGIN"), "no certificate material is served");
            Path out = Path.of("target", "metrics", "xds-relay.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, metrics.body());
            assertEquals(405, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.monitor().port()
                    + "/metrics")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "the listener takes nothing");
            assertEquals(404, relay.get("/q/health/other").statusCode());
        }
    }

    @Test
    void aFailedDialIsCountedByReasonAndTheRelayIsNotReady() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Path rogueRoot = OpensslCa.create(dir, "rogue-for-metrics").certificate();
        record Case(String reason, int port, String serverName, Path ca) {
        }
        for (Case c : List.of(new Case("refused", closed, BRIDGE_NAME, root.certificate()),
                new Case("name-mismatch", bridge.port(), "elsewhere.meshfed.test", root.certificate()),
                new Case("untrusted", bridge.port(), BRIDGE_NAME, rogueRoot))) {
            try (Relay relay = Relay.start(east, c.port(), c.serverName(), c.ca())) {
                HttpResponse<String> ready = relay.get("/q/health/ready");
                assertEquals(503, ready.statusCode(), c + ": " + ready.body());
                JsonObject check = Relay.check(ready, "bridge");
                assertEquals("DOWN", check.getString("status"), ready.body());
                assertEquals(c.reason(), check.getJsonObject("data").getString("reason"), ready.body());
                assertEquals("UP", Relay.check(ready, "certificate").getString("status"), "the certificate is fine");
                assertEquals(200, relay.get("/q/health/live").statusCode(), "alive all the same");
                assertEquals(1.0, relay.scrape().get(failures(c.reason())), c.toString());

                try (AdsTestClient client = new AdsTestClient(relay.relay().port(), null)) {
                    Status status = XdsRelayTest.ask(client, XdsRelayTest.istiodNode("istiod-" + c.reason(), null))
                            .status();
                    assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
                }
                Map<String, Double> after = relay.scrapeUntil(s -> s.get(OPEN) == 0.0);
                assertTrue(after.get(ACCEPTED) >= 1.0, after.toString());
                assertEquals(after.get(ACCEPTED) + 1, after.get(failures(c.reason())),
                        "every accepted connection's dial failed, and the probe's: " + after);
                assertEquals(0.0, after.get(OPEN), after.toString());
                assertEquals(0.0, after.get(CONNECTED_AT), "never connected: " + after);
            }
        }
    }

    @Test
    void aRelayWhoseBridgeWentAwayIsNotReadyOnceADialFails() throws Exception {
        BridgeHarness going = startBridge();
        try (Relay relay = Relay.start(east, going.port(), BRIDGE_NAME, root.certificate())) {
            assertEquals(200, relay.get("/q/health/ready").statusCode(), "reachable at first");
            going.close();
            // istiod redials its config source; the relay's dial now fails
            try (AdsTestClient client = new AdsTestClient(relay.relay().port(), null)) {
                Status status = XdsRelayTest.ask(client, XdsRelayTest.istiodNode("istiod-left", null)).status();
                assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
            }
            HttpResponse<String> ready = relay.get("/q/health/ready");
            assertEquals(503, ready.statusCode(), "a recent answer does not outweigh a later failure: " + ready.body());
            assertEquals("refused", Relay.check(ready, "bridge").getJsonObject("data").getString("reason"));
            assertTrue(relay.scrape().get(CONNECTED_AT) > 0, "it was connected once");
        } finally {
            going.close();
        }
    }

    @Test
    void anExpiredClientCertificateMakesTheRelayNotReady() throws Exception {
        // what a relay holds when its CSR agent stopped renewing: issued by the right root, notAfter in the past
        Path key = dir.resolve("expired.key");
        Path csr = dir.resolve("expired.csr");
        Path ext = dir.resolve("expired.ext");
        Path cert = dir.resolve("expired.crt");
        Files.writeString(ext, "subjectAltName=DNS:east." + BridgeHarness.DOMAIN + "\nbasicConstraints=critical,CA:false"
                + "\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        openssl("req", "-new", "-key", key.toString(), "-subj", "/CN=expired", "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", root.certificate().toString(), "-CAkey",
                dir.resolve("meshfed-ca.key").toString(), "-CAcreateserial", "-days", "-1", "-extfile", ext.toString(),
                "-out", cert.toString());
        try (Relay relay = Relay.start(new OpensslCa.Issued(cert, key), bridge.port(), BRIDGE_NAME,
                root.certificate())) {
            assertEquals(expiry(cert), relay.scrape().get(EXPIRY));
            assertTrue(relay.scrape().get(EXPIRY) < System.currentTimeMillis() / 1000.0, "expired");
            HttpResponse<String> ready = relay.get("/q/health/ready");
            assertEquals(503, ready.statusCode(), ready.body());
            JsonObject certificate = Relay.check(ready, "certificate");
            assertEquals("DOWN", certificate.getString("status"), ready.body());
            assertTrue(certificate.getJsonObject("data").getString("reason").startsWith("the client certificate expired"),
                    ready.body());
            JsonObject bridgeCheck = Relay.check(ready, "bridge");
            assertEquals("DOWN", bridgeCheck.getString("status"), "the bridge refuses it too: " + ready.body());
            assertEquals("certificate-refused", bridgeCheck.getJsonObject("data").getString("reason"), ready.body());
            assertEquals(1.0, relay.scrape().get(failures("certificate-refused")));
            assertEquals(200, relay.get("/q/health/live").statusCode(), "alive: a restart would not help");
        }
    }

    @Test
    void reloadsAreCountedAndTheExpiryFollowsTheLoadedCertificate(@TempDir Path mounted) throws Exception {
        Path cert = mounted.resolve("tls.crt");
        Path key = mounted.resolve("tls.key");
        Files.copy(east.certificate(), cert);
        Files.copy(east.key(), key);
        OpensslCa.Issued renewed = root.issue("east-renewed", "DNS:east." + BridgeHarness.DOMAIN);
        try (Relay relay = Relay.start(new OpensslCa.Issued(cert, key), bridge.port(), BRIDGE_NAME,
                root.certificate())) {
            String reloaded = "meshfed_relay_certificate_reloads_total{outcome=\"reloaded\"}";
            String failed = "meshfed_relay_certificate_reloads_total{outcome=\"failed\"}";
            assertFalse(reload(relay), "unchanged files");
            assertEquals(0.0, relay.scrape().get(reloaded), "an unchanged re-read is no reload");
            // what a Secret volume update does: the files change under the same paths
            Files.copy(renewed.certificate(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(renewed.key(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertTrue(reload(relay));
            Map<String, Double> after = relay.scrape();
            assertEquals(1.0, after.get(reloaded));
            assertEquals(expiry(renewed.certificate()), after.get(EXPIRY), "the renewed certificate's notAfter");
            Files.writeString(cert, "not a certificate");
            assertThrows(java.util.concurrent.ExecutionException.class, () -> reload(relay));
            Map<String, Double> broken = relay.scrape();
            assertEquals(1.0, broken.get(failed));
            assertEquals(1.0, broken.get(reloaded));
            assertEquals(expiry(renewed.certificate()), broken.get(EXPIRY), "the previous certificate is still used");
            assertEquals(200, relay.get("/q/health/ready").statusCode(), "and still valid");
        }
    }

    @Test
    void theListenerIsThePodsPort15015UnlessConfigured() {
        assertEquals(new RelaySettings.HostPort("0.0.0.0", 15015), RelaySettings.monitorFromEnvironment(Map.of()),
                "reachable by Prometheus: not loopback");
        assertEquals(new RelaySettings.HostPort("::", 9102), RelaySettings.monitorFromEnvironment(
                Map.of("MESHFED_RELAY_METRICS_LISTEN", "[::]:9102")));
        assertEquals("MESHFED_RELAY_METRICS_LISTEN must be an IP address and port, got 'metrics.local'",
                assertThrows(RelaySettings.RelaySettingsException.class, () -> RelaySettings.monitorFromEnvironment(
                        Map.of("MESHFED_RELAY_METRICS_LISTEN", "metrics.local:15015"))).getMessage());
        assertEquals("the metrics port (MESHFED_RELAY_METRICS_LISTEN) must be 0-65535, got 70000",
                assertThrows(RelaySettings.RelaySettingsException.class, () -> RelaySettings.monitorFromEnvironment(
                        Map.of("MESHFED_RELAY_METRICS_LISTEN", "0.0.0.0:70000"))).getMessage());
    }

    static boolean reload(Relay relay) throws Exception {
        return relay.relay().reloadCertificates().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static void openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
    }
}
