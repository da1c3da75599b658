package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshfed.e2e.CloudEventsHttp.Answer;
import io.meshfed.e2e.CloudEventsHttp.Mode;
import io.meshfed.local.ExampleCluster;
import io.meshfed.local.LocalMesh;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.agent.CaCerts;
import io.meshfed.xds.mcp.proto.networking.ServiceEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole flow through the local mode's wire interfaces, in order: register two clusters with CloudEvents (SDK,
 * HTTP, both encodings), their services exported, both intermediate CAs signed by the clusters' CSR agents over
 * CloudEvents; then (2) an istiod-like MCP client per cluster sees exactly the federated ServiceEntries, (3)
 * {@code openssl verify} accepts each cluster's chain against the shared root, and (4) deregistering west removes
 * its services from east's istiod config, pushed on the open stream. The broker's deliveries are recorded and
 * asserted as sequences (which Trigger routed which event to which service).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalMeshEndToEndTest {
    Path temp;
    LocalMesh mesh;
    CloudEventsHttp events;
    final List<String> deliveries = Collections.synchronizedList(new ArrayList<>());
    IstiodLikeClient eastIstiod;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        temp = dir;
        Path example = FlatExample.write(Files.createDirectories(temp.resolve("example")),
                new FlatExample.Pod("127.0.0.1", 7070), new FlatExample.Pod("127.0.0.2", 7071));
        mesh = LocalMesh.start(new LocalMesh.Settings(temp.resolve("state"),
                Path.of(System.getProperty("meshfed.triggers", "../../knative/manifests/eventing/triggers")),
                "127.0.0.1", 0, 0, ExampleCluster.loadAll(example), null), line -> System.out.println("mesh: " + line));
        mesh.broker().addListener(d -> deliveries.add(d.event().getType().replace("io.meshfed.", "") + " -> "
                + d.route().service()));
        events = new CloudEventsHttp(mesh.brokerUrl());
    }

    @AfterAll
    void stop() throws Exception {
        if (eastIstiod != null) {
            eastIstiod.close();
        }
        if (mesh != null) {
            mesh.close();
        }
    }

    /** Registration data as an operator sends it: the cluster's API server URL, its CA and a token. */
    String registration(String name, String region, String zone, String gateway) throws IOException {
        return FlatExample.registration(mesh.apiServer(name), name, region, zone, gateway);
    }

    @Test
    @Order(1)
    void registersExportsAndSignsThroughCloudEvents() throws Exception {
        Answer east = events.send(CloudEventsHttp.event("io.meshfed.cluster.registration.requested", null,
                registration("east", "us-east", "us-east-a", "192.0.2.1")), Mode.BINARY);
        assertEquals(200, east.status(), east.body());
        CloudEvent reply = east.reply().orElseThrow();
        assertEquals("io.meshfed.cluster.registered", reply.getType());
        assertEquals("east", reply.getSubject());
        assertEquals("created", reply.getExtension("meshfedchange"));
        assertEquals(1, ModelJson.mapper().readTree(east.replyData()).get("generation").asInt());
        assertEquals(List.of(
                "cluster.registration.requested -> meshfed-registration",
                "cluster.registered -> meshfed-export",
                "cluster.registered -> meshfed-xds-bridge",
                "catalog.changed -> meshfed-xds-bridge"), drain(), "registration, then export, then the bridge");

        Answer west = events.send(CloudEventsHttp.event("io.meshfed.cluster.registration.requested", null,
                registration("west", "us-west", "us-west-a", "192.0.2.2")), Mode.STRUCTURED);
        assertEquals("io.meshfed.cluster.registered", west.reply().orElseThrow().getType());
        assertEquals("west", west.reply().orElseThrow().getSubject());
        assertEquals(4, drain().size());

        // both catalogs are in: an explicit sync finds nothing new, replies nothing (202) and announces nothing
        for (String cluster : List.of("east", "west")) {
            Answer sync = events.send(CloudEventsHttp.event("io.meshfed.service.export.sync", cluster, null), Mode.BINARY);
            assertEquals(202, sync.status(), sync.body());
        }
        assertEquals(List.of("service.export.sync -> meshfed-export", "service.export.sync -> meshfed-export"), drain());

        // a sync naming no real cluster name is refused, naming the field
        Answer bad = events.send(CloudEventsHttp.event("io.meshfed.service.export.sync", "Not_A_Cluster", null),
                Mode.BINARY);
        assertEquals(400, bad.status());
        assertEquals("subject", ModelJson.mapper().readTree(bad.body()).get("field").asText());
        drain();

        for (String cluster : List.of("east", "west")) {
            Optional<CaCerts> caCerts = mesh.runAgent(cluster);
            assertTrue(caCerts.isPresent(), cluster + " has cacerts");
            assertEquals(List.of("csr.submitted -> meshfed-pki"), drain(), "the agent's CSR went through the broker");
        }
    }

    @Test
    @Order(2)
    void eachIstiodSeesTheFederatedServiceEntries() throws Exception {
        List<String> names = List.of("demo/echo.clusterset", "demo/echo.east.global", "demo/echo.west.global",
                "shop/cart.clusterset", "shop/cart.west.global");
        List<String> echoEndpoints = List.of(
                "127.0.0.1 {grpc=7070} us-east/us-east-a net-flat",
                "127.0.0.2 {grpc=7071} us-west/us-west-a net-flat");
        eastIstiod = new IstiodLikeClient(mesh.xdsPort(), "east");
        try (IstiodLikeClient westIstiod = new IstiodLikeClient(mesh.xdsPort(), "west")) {
            for (IstiodLikeClient istiod : List.of(eastIstiod, westIstiod)) {
                Map<String, DiscoveryResponse> first = istiod.nextOfEach(IstiodLikeClient.SE, IstiodLikeClient.DR,
                        IstiodLikeClient.GW, IstiodLikeClient.WE);
                Map<String, ServiceEntry> entries = IstiodLikeClient.serviceEntries(first.get(IstiodLikeClient.SE));
                Map<String, IstiodLikeClient.Entry> we = IstiodLikeClient.workloadEntries(first.get(IstiodLikeClient.WE));
                assertEquals(names, List.copyOf(entries.keySet()));
                ServiceEntry echo = entries.get("demo/echo.clusterset");
                assertEquals(List.of("echo.demo.svc.clusterset.local"), echo.getHostsList());
                assertEquals(ServiceEntry.Location.MESH_INTERNAL, echo.getLocation());
                assertEquals(1, echo.getPortsCount());
                assertEquals(7070, echo.getPorts(0).getNumber());
                assertEquals("GRPC", echo.getPorts(0).getProtocol());
                assertEquals(echoEndpoints, IstiodLikeClient.endpoints("demo/echo.clusterset", echo, we),
                        "one flat network: both clusters' pods, dialed directly");
                assertEquals(List.of(echoEndpoints.get(0)), IstiodLikeClient.endpoints("demo/echo.east.global",
                        entries.get("demo/echo.east.global"), we));
                assertEquals(List.of(echoEndpoints.get(1)), IstiodLikeClient.endpoints("demo/echo.west.global",
                        entries.get("demo/echo.west.global"), we));
                assertEquals(List.of("cart.shop.svc.clusterset.local"), entries.get("shop/cart.clusterset").getHostsList());
                assertEquals(List.of("10.2.0.8 {http=8081} us-west/us-west-a net-flat"),
                        IstiodLikeClient.endpoints("shop/cart.clusterset", entries.get("shop/cart.clusterset"), we));
                assertEquals(List.of("demo/echo.clusterset", "demo/echo.east.global", "demo/echo.west.global",
                        "shop/cart.clusterset", "shop/cart.west.global"),
                        IstiodLikeClient.names(first.get(IstiodLikeClient.DR)));
                assertEquals(List.of("istio-system/meshfed-eastwest"),
                        IstiodLikeClient.names(first.get(IstiodLikeClient.GW)));
            }
            // the bridge's debug view (what `meshfed config show` reads) lists both istiods and what they hold
            var http = java.net.http.HttpClient.newHttpClient();
            var dump = ModelJson.mapper().readTree(http.send(java.net.http.HttpRequest.newBuilder(
                    mesh.brokerUrl().resolve("/debug/config_dump")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            List<String> clusters = new ArrayList<>();
            dump.path("clients").forEach(c -> clusters.add(c.path("cluster").asText()));
            assertEquals(List.of("east", "west"), clusters.stream().sorted().toList());
            int seen = 0;
            for (var client : dump.path("clients")) {
                for (var type : client.path("types")) {
                    if (type.path("typeUrl").asText().equals(IstiodLikeClient.SE)) {
                        seen++;
                        List<String> held = new ArrayList<>();
                        type.path("resources").forEach(r -> held.add(r.path("name").asText()));
                        assertEquals(names, held);
                        assertEquals(type.path("sentVersion"), type.path("ackedVersion"), "the istiod ACKed");
                    }
                }
            }
            assertEquals(2, seen, "each istiod's ServiceEntry subscription is in the dump");
        }
    }

    @Test
    @Order(3)
    void opensslVerifiesEachClustersChainAgainstTheSharedRoot() throws Exception {
        Path eastDir = mesh.caCertsDir("east");
        Path westDir = mesh.caCertsDir("west");
        String root = Files.readString(eastDir.resolve("root-cert.pem"));
        assertEquals(root, Files.readString(westDir.resolve("root-cert.pem")), "one shared root");
        Path rootFile = Files.writeString(temp.resolve("root.pem"), root);
        for (Path dir : List.of(eastDir, westDir)) {
            // the chain file is intermediate + root; verify the intermediate with the chain as untrusted helpers
            assertEquals(dir.resolve("ca-cert.pem") + ": OK", openssl("verify", "-CAfile", rootFile.toString(),
                    "-untrusted", dir.resolve("cert-chain.pem").toString(), dir.resolve("ca-cert.pem").toString()));
            assertEquals(dir.resolve("cert-chain.pem") + ": OK", openssl("verify", "-CAfile", rootFile.toString(),
                    dir.resolve("cert-chain.pem").toString()));
            String ext = openssl("x509", "-in", dir.resolve("ca-cert.pem").toString(), "-noout", "-ext",
                    "basicConstraints,subjectAltName");
            assertTrue(ext.contains("CA:TRUE, pathlen:0"), ext);
            assertTrue(ext.contains("DNS:istiod.istio-system.svc"), ext);
        }
        // and a chain does not verify against a root that is not the shared one
        Path otherDir = Files.createDirectories(temp.resolve("other"));
        String self = openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=not meshfed", "-days", "1", "-keyout", otherDir.resolve("k.pem").toString(),
                "-out", otherDir.resolve("other-root.pem").toString());
        String wrong = openssl("verify", "-CAfile", otherDir.resolve("other-root.pem").toString(),
                eastDir.resolve("cert-chain.pem").toString());
        assertTrue(wrong.contains("unable to get local issuer certificate"), self + wrong);
    }

    @Test
    @Order(4)
    void deregisteringWestRemovesItsServicesFromEastsIstiod() throws Exception {
        drain();
        Answer answer = events.send(CloudEventsHttp.event("io.meshfed.cluster.deregistration.requested", "west",
                "{\"name\":\"west\"}"), Mode.STRUCTURED);
        assertEquals("io.meshfed.cluster.deregistered", answer.reply().orElseThrow().getType());
        assertEquals(Map.of("cluster", "west", "existed", true),
                ModelJson.mapper().readValue(answer.replyData(), Map.class));
        assertEquals(List.of(
                "cluster.deregistration.requested -> meshfed-registration",
                "cluster.deregistered -> meshfed-export",
                "cluster.deregistered -> meshfed-xds-bridge",
                "catalog.changed -> meshfed-xds-bridge"), drain());

        Map<String, DiscoveryResponse> pushed = eastIstiod.nextOfEach(IstiodLikeClient.SE, IstiodLikeClient.DR,
                IstiodLikeClient.WE);
        Map<String, ServiceEntry> entries = IstiodLikeClient.serviceEntries(pushed.get(IstiodLikeClient.SE));
        Map<String, IstiodLikeClient.Entry> we = IstiodLikeClient.workloadEntries(pushed.get(IstiodLikeClient.WE));
        assertTrue(we.keySet().stream().noneMatch(n -> n.contains(".west.global.")), "west's endpoints are gone: " + we);
        assertEquals(List.of("demo/echo.clusterset", "demo/echo.east.global"), List.copyOf(entries.keySet()),
                "west's echo and cart are gone from east's config");
        assertEquals(List.of("127.0.0.1 {grpc=7070} us-east/us-east-a net-flat"),
                IstiodLikeClient.endpoints("demo/echo.clusterset", entries.get("demo/echo.clusterset"), we));
        assertEquals(List.of("demo/echo.clusterset", "demo/echo.east.global"),
                IstiodLikeClient.names(pushed.get(IstiodLikeClient.DR)));
        assertTrue(Files.notExists(temp.resolve("state/clusters/west.json")));
        assertTrue(Files.notExists(temp.resolve("state/catalogs/west.json")));
    }

    private List<String> drain() {
        synchronized (deliveries) {
            List<String> out = List.copyOf(deliveries);
            deliveries.clear();
            return out;
        }
    }

    private static String openssl(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        return out;
    }
}
