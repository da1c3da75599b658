package io.meshfed.xds.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.OpensslCa;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.AdsTls;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay between a real bridge on mutual TLS (client certificates required, made by openssl under a test root)
 * and a grpc-java client speaking plaintext h2c to the relay, as istiod's config-source client does: the client is
 * served as the cluster the relay's certificate names, cannot claim another, the relay dials only a bridge whose
 * certificate chains to the root and names the server name, and picks up a renewed certificate.
 */
class XdsRelayTest {
    static final String BRIDGE_NAME = "bridge.meshfed.test";
    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality WEST_A = new Locality("us-west", "a");

    @TempDir
    static Path dir;
    static OpensslCa root;
    static OpensslCa.Issued east;
    static OpensslCa.Issued west;
    static BridgeHarness bridge;
    static final Vertx VERTX = Vertx.vertx();

    @BeforeAll
    static void start() throws Exception {
        root = OpensslCa.create(dir, "meshfed");
        OpensslCa.Issued server = root.issue("bridge", "DNS:" + BRIDGE_NAME);
        east = root.issue("east", "DNS:east." + BridgeHarness.DOMAIN);
        west = root.issue("west", "DNS:west." + BridgeHarness.DOMAIN);
        bridge = new BridgeHarness(null, AdsServer.DEFAULT_MAX_STREAMS_PER_CLUSTER, "127.0.0.1",
                new AdsTls(server.certificate(), server.key(), root.certificate()));
        MeshCluster eastCluster = Fixtures.cluster("east", "net-east", EAST_A, "192.0.2.10", 15443);
        MeshCluster westCluster = Fixtures.cluster("west", "net-west", WEST_A, "192.0.2.20", 15443);
        bridge.publish(
                Fixtures.catalog(eastCluster, 1, Fixtures.grpcService("demo", "echo", 7070, 7070,
                        Fixtures.endpoint("10.1.0.1", EAST_A, true))),
                Fixtures.catalog(westCluster, 1, Fixtures.grpcService("demo", "echo", 7070, 7070,
                        Fixtures.endpoint("10.2.0.1", WEST_A, true))));
    }

    @AfterAll
    static void stop() throws Exception {
        VERTX.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        bridge.close();
    }

    static RelaySettings settings(OpensslCa.Issued client, String serverName, Path ca) {
        return new RelaySettings("127.0.0.1", 0, "127.0.0.1", bridge.port(), serverName, client.certificate(),
                client.key(), ca);
    }

    static XdsRelay relay(RelaySettings settings) throws Exception {
        return XdsRelay.start(VERTX, settings).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** What istiod's config-source client sends: no cluster anywhere, unless {@code clusterId} is given. */
    static Node istiodNode(String id, String clusterId) {
        Struct.Builder meta = Struct.newBuilder().putFields("GENERATOR", Value.newBuilder().setStringValue("api").build());
        if (clusterId != null) {
            meta.putFields("CLUSTER_ID", Value.newBuilder().setStringValue(clusterId).build());
        }
        return Node.newBuilder().setId(id).setMetadata(meta).build();
    }

    /** A plaintext stream through the relay asking for CDS. */
    static AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse> ask(AdsTestClient client, Node node) {
        var stream = client.sotw();
        stream.send(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.CLUSTER).build());
        return stream;
    }

    @Test
    void aPlaintextClientOfTheRelayIsServedAsTheClusterOfTheRelaysCertificate() throws Exception {
        XdsRelay relay = relay(settings(east, BRIDGE_NAME, root.certificate()));
        try (AdsTestClient client = new AdsTestClient(relay.port(), null)) {
            DiscoveryResponse r = ask(client, istiodNode("sidecar~10.0.0.1~istiod-1.istio-system~x", null)).next();
            assertTrue(r.getResourcesCount() > 0, "served: " + r);
            assertTrue(bridge.waitForClient("sidecar~10.0.0.1~istiod-1.istio-system~x", "east"),
                    "served as east, the cluster of the relay's certificate: " + bridge.clients.all());
        } finally {
            relay.close();
        }
    }

    @Test
    void aClientOfTheRelayCannotClaimAnotherCluster() throws Exception {
        XdsRelay relay = relay(settings(east, BRIDGE_NAME, root.certificate()));
        try (AdsTestClient client = new AdsTestClient(relay.port(), "west." + BridgeHarness.DOMAIN)) {
            Status status = ask(client, istiodNode("istiod-liar", null)).status();
            assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
            assertEquals(":authority 'west." + BridgeHarness.DOMAIN + "' names cluster 'west', which does not match"
                    + " the client certificate's cluster 'east'", status.getDescription());
        } finally {
            relay.close();
        }
        relay = relay(settings(east, BRIDGE_NAME, root.certificate()));
        try (AdsTestClient client = new AdsTestClient(relay.port(), null)) {
            Status status = ask(client, istiodNode("istiod-liar-2", "west")).status();
            assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
            assertEquals("node metadata CLUSTER_ID 'west' does not match the client certificate's cluster 'east'",
                    status.getDescription());
        } finally {
            relay.close();
        }
    }

    @Test
    void theRelayDialsOnlyABridgeCertifiedByMeshfedsRootForItsServerName() throws Exception {
        Path rogueRoot = OpensslCa.create(dir, "rogue").certificate();
        long opened = bridge.metrics.asMap().get("meshfed_xds_streams_opened_total");
        for (RelaySettings wrong : new RelaySettings[] {settings(east, "elsewhere.meshfed.test", root.certificate()),
                settings(east, BRIDGE_NAME, rogueRoot)}) {
            XdsRelay relay = relay(wrong);
            try (AdsTestClient client = new AdsTestClient(relay.port(), null)) {
                var stream = ask(client, istiodNode("istiod-misdirected", null));
                Status status = stream.status();
                assertEquals(Status.Code.UNAVAILABLE, status.getCode(), "the relay closed the connection: " + status);
                assertTrue(stream.responses.isEmpty());
            } finally {
                relay.close();
            }
        }
        assertEquals(opened, bridge.metrics.asMap().get("meshfed_xds_streams_opened_total"), "nothing reached the bridge");
    }

    @Test
    void aRenewedCertificateServesNewConnections(@TempDir Path mounted) throws Exception {
        Path cert = mounted.resolve("tls.crt");
        Path key = mounted.resolve("tls.key");
        Files.copy(east.certificate(), cert);
        Files.copy(east.key(), key);
        XdsRelay relay = relay(settings(new OpensslCa.Issued(cert, key), BRIDGE_NAME, root.certificate()));
        try {
            assertFalse(relay.reloadCertificates().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS),
                    "nothing changed");
            try (AdsTestClient client = new AdsTestClient(relay.port(), null)) {
                ask(client, istiodNode("istiod-before", null)).next();
                assertTrue(bridge.waitForClient("istiod-before", "east"), bridge.clients.all().toString());
            }
            // what a Secret volume update does: the files change under the same paths
            Files.copy(west.certificate(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(west.key(), key, StandardCopyOption.REPLACE_EXISTING);
            assertTrue(relay.reloadCertificates().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
            try (AdsTestClient client = new AdsTestClient(relay.port(), null)) {
                ask(client, istiodNode("istiod-after", null)).next();
                assertTrue(bridge.waitForClient("istiod-after", "west"), bridge.clients.all().toString());
            }
        } finally {
            relay.close();
        }
    }

    @Test
    void theRelayListensOnLoopbackOnlyAndNamesWhatIsMissing() {
        for (String host : new String[] {"0.0.0.0", "10.0.0.7", "::", "localhost"}) {
            var e = assertThrows(RelaySettings.RelaySettingsException.class, () -> new RelaySettings(host, 0,
                    "bridge", 15010, null, east.certificate(), east.key(), root.certificate()));
            assertEquals("the relay must listen on a loopback address (it presents its cluster's client certificate"
                    + " for whoever connects), not '" + host + "'", e.getMessage());
        }
        RelaySettings fromEnv = RelaySettings.fromEnvironment(Map.of("MESHFED_BRIDGE_ADDRESS", "xds.meshfed.example:15010",
                "MESHFED_RELAY_CERT_FILE", "/etc/meshfed/xds-client/tls.crt",
                "MESHFED_RELAY_KEY_FILE", "/etc/meshfed/xds-client/tls.key",
                "MESHFED_RELAY_CA_FILE", "/etc/meshfed/xds-client/ca.crt"));
        assertEquals(new RelaySettings("127.0.0.1", 15011, "xds.meshfed.example", 15010, "xds.meshfed.example",
                Path.of("/etc/meshfed/xds-client/tls.crt"), Path.of("/etc/meshfed/xds-client/tls.key"),
                Path.of("/etc/meshfed/xds-client/ca.crt")), fromEnv);
        assertEquals("MESHFED_BRIDGE_ADDRESS is required", assertThrows(RelaySettings.RelaySettingsException.class,
                () -> RelaySettings.fromEnvironment(Map.of())).getMessage());
        assertEquals(0, RelaySettings.shardsFromEnvironment(Map.of()), "one source unless told");
        assertEquals(4, RelaySettings.shardsFromEnvironment(Map.of("MESHFED_RELAY_SHARDS", "4")));
        for (String bad : new String[] {"1", "65", "-2", "four"}) {
            assertEquals("MESHFED_RELAY_SHARDS must be 0 (one source) or 2-64, got '" + bad + "'",
                    assertThrows(RelaySettings.RelaySettingsException.class, () -> RelaySettings.shardsFromEnvironment(
                            Map.of("MESHFED_RELAY_SHARDS", bad))).getMessage());
        }
        assertEquals("127.0.4.3", fromEnv.listeningOn("127.0.4.3").listenHost(), "a shard's address is loopback too");
        assertEquals("MESHFED_BRIDGE_ADDRESS must be host:port, got 'xds.meshfed.example'",
                assertThrows(RelaySettings.RelaySettingsException.class, () -> RelaySettings.fromEnvironment(
                        Map.of("MESHFED_BRIDGE_ADDRESS", "xds.meshfed.example"))).getMessage());
    }
}
