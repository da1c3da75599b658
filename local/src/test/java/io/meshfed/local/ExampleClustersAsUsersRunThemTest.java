package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.pki.ca.Pems;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example clusters as a user runs them: an edited example file changes the federation at the next export sync
 * without a restart (a broken file changes nothing and says why; a moved gateway is registered again), and each
 * example cluster's API answers {@code kubectl} through the kubeconfig local mode writes, over TLS with subject
 * alternative names, to its own tokens only.
 */
class ExampleClustersAsUsersRunThemTest {

    private static Path copyExample(Path to) throws Exception {
        Path from = Path.of("../examples/two-clusters");
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    private static LocalMesh start(Path example, Path state, List<String> progress) throws Exception {
        return LocalMesh.start(new LocalMesh.Settings(state, LocalModeFilesTest.TRIGGERS, "127.0.0.1", 0, 0,
                ExampleCluster.loadAll(example), null), progress::add);
    }

    private static <T> T await(Supplier<T> value, java.util.function.Predicate<T> done, String what) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        T last = value.get();
        while (!done.test(last)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + "; last: " + last);
            }
            Thread.sleep(100);
            last = value.get();
        }
        return last;
    }

    private static List<String> westGatewayAddresses(LocalMesh mesh) {
        // echo.west.global's endpoints: inline for a gateway known by name, else the WorkloadEntries it selects
        var config = mesh.istiodConfig("east");
        List<String> inline = config.serviceEntries().stream()
                .filter(se -> se.getMetadata().getName().equals("echo.west.global"))
                .flatMap(se -> se.getSpec().getEndpoints().stream()).map(e -> e.getAddress()).toList();
        List<String> entries = config.workloadEntries().stream()
                .filter(we -> we.getMetadata().getName().startsWith("echo.west.global."))
                .map(we -> we.getSpec().getAddress()).toList();
        return inline.isEmpty() ? entries : inline;
    }

    @Test
    void anEditedExampleFileChangesTheFederationAtTheNextSync(@TempDir Path dir) throws Exception {
        Path example = copyExample(dir.resolve("example"));
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        try (LocalMesh mesh = start(example, dir.resolve("state"), progress)) {
            assertEquals(java.util.Map.of("east", "io.meshfed.cluster.registered", "west", "io.meshfed.cluster.registered"),
                    mesh.registerExamples(), progress::toString);
            assertEquals(List.of("demo/echo.clusterset", "demo/echo.east.global", "demo/echo.west.global",
                    "shop/cart.clusterset", "shop/cart.west.global"),
                    LocalMeshRestartTest.names(mesh.istiodConfig("east").serviceEntries()));

            // A file that no longer parses: reported, and the cluster keeps serving what it served.
            Files.writeString(example.resolve("west/broken.yaml"), "kind: [\n");
            mesh.sync("west");
            assertTrue(progress.stream().anyMatch(l -> l.startsWith("ERROR " + example.resolve("west/broken.yaml")
                    + " is not Kubernetes YAML") && l.endsWith("(still serving what the files held before)")),
                    progress.toString());
            assertEquals(5, mesh.istiodConfig("east").serviceEntries().size());
            Files.delete(example.resolve("west/broken.yaml"));

            // A kind local mode does not serve, beside a change that would apply: refused whole, nothing changes.
            Files.writeString(example.resolve("west/widget.yaml"), """
                    apiVersion: widgets.example.com/v1
                    kind: Widget
                    metadata: {name: cart, namespace: shop}
                    """);
            Path cartFile = example.resolve("west/cart.yaml");
            String cart = Files.readString(cartFile);
            Files.delete(cartFile);
            mesh.sync("west");
            assertTrue(progress.stream().anyMatch(l -> l.startsWith("ERROR " + example.resolve("west")
                    + ": kind Widget (widgets.example.com/v1) is not served in local mode")), progress.toString());
            assertEquals(5, mesh.istiodConfig("east").serviceEntries().size(), "cart is still served");
            Files.delete(example.resolve("west/widget.yaml"));
            Files.writeString(cartFile, cart);

            // west stops running cart: its file goes, and the next sync takes cart out of east's federation.
            Files.delete(example.resolve("west/cart.yaml"));
            mesh.sync("west");
            assertEquals(List.of("demo/echo.clusterset", "demo/echo.east.global", "demo/echo.west.global"),
                    LocalMeshRestartTest.names(mesh.istiodConfig("east").serviceEntries()));
            assertTrue(progress.contains("cluster west: re-read " + example.resolve("west")
                    + ": 4 objects created, changed or removed"), progress.toString()); // cart.yaml: Service, EndpointSlice, 2 Pods

            // west's load balancer moves: the cluster is registered again and east reaches west at the new address.
            Path gateway = example.resolve("west/gateway.yaml");
            String before = westGatewayAddresses(mesh).get(0);
            Files.writeString(gateway, Files.readString(gateway).replace("ip: " + before, "ip: 192.0.2.99"));
            mesh.sync("west");
            await(() -> westGatewayAddresses(mesh), a -> a.equals(List.of("192.0.2.99")),
                    "east's ServiceEntry for echo.west.global reaches west's moved gateway");
            assertTrue(progress.contains("cluster west registered (updated, generation 2)"), progress.toString());
        }
    }

    @Test
    void theConfigDumpShowsWhatAClusterIsServedWithNoClientConnected(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = start(copyExample(dir.resolve("example")), dir.resolve("state"), new ArrayList<>())) {
            mesh.registerExamples();
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    mesh.brokerUrl().resolve("/debug/config_dump?cluster=east")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode());
            var dump = new com.fasterxml.jackson.databind.ObjectMapper().readTree(answer.body());
            assertEquals(0, dump.get("clients").size(), "no istiod connects in local mode");
            var istio = dump.get("served").get(0);
            assertEquals("istio", istio.get("kind").asText());
            List<String> serviceEntries = new ArrayList<>();
            istio.get("types").forEach(t -> {
                if (t.get("typeUrl").asText().endsWith("ServiceEntry")) {
                    t.get("resources").forEach(r -> serviceEntries.add(r.get("name").asText()));
                }
            });
            // what east's istiod would receive: the same entries the translator gives it
            assertEquals(LocalMeshRestartTest.names(mesh.istiodConfig("east").serviceEntries()), serviceEntries);
            assertEquals("envoy", dump.get("served").get(1).get("kind").asText());
        }
    }

    @Test
    void kubectlReadsAndChangesAnExampleClusterThroughTheWrittenKubeconfig(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Stream.of(System.getenv("PATH").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "kubectl"))), "kubectl is not on PATH");
        try (LocalMesh mesh = start(copyExample(dir.resolve("example")), dir.resolve("state"), new ArrayList<>())) {
            Path kubeconfig = mesh.kubeconfig();
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(kubeconfig),
                    "the kubeconfig holds the clusters' tokens");
            assertEquals("service/cart\nservice/echo\nservice/istio-eastwestgateway\n",
                    kubectl(kubeconfig, "--context", "west", "get", "services", "-A", "-o", "name"));
            assertEquals("endpointslice.discovery.k8s.io/echo-abc12\n",
                    kubectl(kubeconfig, "--context", "east", "get", "endpointslices", "-n", "demo", "-o", "name"));
            kubectl(kubeconfig, "--context", "east", "label", "service", "-n", "demo", "echo", "team=payments");
            assertEquals("payments", mesh.apiServer("east").client().services().inNamespace("demo").withName("echo")
                    .get().getMetadata().getLabels().get("team"), "kubectl's change is what meshfed reads");
        }
    }

    private static String kubectl(Path kubeconfig, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }

    @Test
    void anExampleClusterApiAnswersOnlyItsOwnTokensOverTlsNamingLocalhost(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = start(copyExample(dir.resolve("example")), dir.resolve("state"), new ArrayList<>())) {
            WorkloadApiServer east = mesh.apiServer("east");
            X509Certificate served = Pems.certificates(east.caPem(), "serving certificate").get(0);
            assertEquals(List.of(List.of(2, "localhost"), List.of(7, "127.0.0.1")),
                    served.getSubjectAlternativeNames().stream().map(List::copyOf).toList());
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("east", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(east.caPem().getBytes(StandardCharsets.US_ASCII))));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            // The JDK client checks the host name against the subject alternative names.
            HttpClient http = HttpClient.newBuilder().sslContext(tls).build();
            URI services = URI.create(east.url() + "/api/v1/services");
            for (String token : List.of("", "Bearer wrong", "Bearer " + mesh.apiServer("west").token())) {
                HttpRequest.Builder request = HttpRequest.newBuilder(services);
                if (!token.isEmpty()) {
                    request.header("Authorization", token);
                }
                HttpResponse<String> refused = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(401, refused.statusCode(), token);
                assertFalse(refused.body().contains("echo"), refused.body());
            }
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(services)
                    .header("Authorization", "Bearer " + east.token()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("\"name\":\"echo\""), ok.body());
        }
    }
}
