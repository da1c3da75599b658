package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.model.EventTypes;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CaStore;
import io.meshfed.pki.ca.KubernetesCaStore;
import io.meshfed.pki.ca.RootRotation;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.CatalogStatus;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The CLI against real kube-apiservers (test-peers/): {@code ready}, a management cluster set up from
 * knative/manifests (namespaces, CRDs, RBAC, the functions' Knative Services with Knative Serving's real CRDs, a CA
 * Secret written by the PKI's own store) that is also a workload cluster set up from knative/workload; and
 * {@code bare}, with only the namespaces and the MeshCluster CRD. Clients are made as bin/meshfed makes them, from
 * kubeconfig files, so --kubeconfig, --context and KUBECONFIG are exercised, and RBAC applies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class RealClusterTest {
    private static final Path MANIFESTS = Path.of("../knative/manifests");
    private static final String NS = "meshfed";
    private static final ResourceDefinitionContext KSVC = new ResourceDefinitionContext.Builder()
            .withGroup("serving.knative.dev").withVersion("v1").withKind("Service").withPlural("services")
            .withNamespaced(true).build();

    private Etcd etcd;
    private KubeApiServer ready;
    private KubeApiServer bare;
    private Path dir;
    /** Contexts ready and bare, current-context bare. */
    private Path both;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("meshfed-cli-real");
        etcd = Etcd.start();
        ready = KubeApiServer.start("ready", etcd);
        bare = KubeApiServer.start("bare", etcd);

        ready.apply(MANIFESTS.resolve("namespace.yaml"));
        try (var crds = Files.list(MANIFESTS.resolve("crd"))) {
            crds.sorted().forEach(ready::apply);
        }
        try (var rbac = Files.list(MANIFESTS.resolve("rbac"))) {
            rbac.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(ready::apply);
        }
        ready.apply(Peers.get().file("knative.serving.crds"));
        KubernetesClient admin = ready.admin();
        Installs.awaitServed(admin, "serving.knative.dev/v1", "services");
        for (String file : CheckCommand.SERVING_FILES) {
            try (InputStream in = Files.newInputStream(MANIFESTS.resolve("serving").resolve(file))) {
                for (HasMetadata item : admin.load(in).items()) {
                    if (item != null && "serving.knative.dev/v1".equals(item.getApiVersion())) {
                        admin.resource(item).serverSideApply();
                        markReady(admin, item.getMetadata().getName());
                    }
                }
            }
        }
        new KubernetesCaStore(admin, "meshfed-pki", "meshfed-pki-ca", Clock.systemUTC()).initialize(
                CaState.of(RootRotation.generate("ecdsa-p256", "ready root", Duration.ofDays(365), Clock.systemUTC())));
        Installs.eventing(ready);
        ready.apply(Path.of("../knative/workload/export-reader.yaml"));
        ready.apply(Path.of("../knative/workload/csr-agent.yaml"));
        Installs.istiod(ready, dir);
        Map<String, String> own = CaStore.Entries.encode(CaState.of(
                RootRotation.generate("ecdsa-p256", "east intermediate", Duration.ofDays(30), Clock.systemUTC())));
        cacerts(admin, own.get(CaStore.Entries.SIGNER_KEY), own.get(CaStore.Entries.SIGNER_CHAIN));
        new KubernetesClusterStore(admin, NS).put(cluster("kc-probe", "net-probe"), Optional.empty());

        bare.apply(MANIFESTS.resolve("namespace.yaml"));
        bare.apply(MANIFESTS.resolve("crd").resolve("meshcluster.yaml"));
        Map<String, String> other = CaStore.Entries.encode(CaState.of(
                RootRotation.generate("ecdsa-p256", "other", Duration.ofDays(30), Clock.systemUTC())));
        cacerts(bare.admin(), other.get(CaStore.Entries.SIGNER_KEY), own.get(CaStore.Entries.SIGNER_CHAIN));

        both = dir.resolve("both.yaml");
        Files.writeString(both, "apiVersion: v1\nkind: Config\nclusters:\n" + clusterEntry(ready) + clusterEntry(bare)
                + "users:\n" + userEntry(ready, ready.adminToken()) + userEntry(bare, bare.adminToken())
                + "contexts:\n" + contextEntry("ready") + contextEntry("bare") + "current-context: bare\n");
    }

    @AfterAll
    void stop() {
        if (bare != null) {
            bare.close();
        }
        if (ready != null) {
            ready.close();
        }
        if (etcd != null) {
            etcd.close();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            // a temp directory left behind is harmless
        }
    }

    /** What Knative Serving's controller would write once the revision is up (no controller runs here). */
    private static void markReady(KubernetesClient admin, String name) {
        GenericKubernetesResource ksvc = admin.genericKubernetesResources(KSVC).inNamespace(NS).withName(name).get();
        ksvc.getAdditionalProperties().put("status", Map.of("url", "http://" + name + "." + NS + ".svc.cluster.local",
                "conditions", List.of(Map.of("type", "Ready", "status", "True",
                        "lastTransitionTime", Instant.now().toString()))));
        admin.genericKubernetesResources(KSVC).inNamespace(NS).resource(ksvc).updateStatus();
    }

    /** istio-system/cacerts as the CSR agent writes it: its key, its chain, the chain's root as root-cert.pem. */
    private static void cacerts(KubernetesClient admin, String key, String chain) {
        List<String> certs = new ArrayList<>();
        var m = java.util.regex.Pattern.compile("-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\\s*",
                java.util.regex.Pattern.DOTALL).matcher(chain);
        while (m.find()) {
            certs.add(m.group());
        }
        Map<String, String> data = new HashMap<>();
        data.put("ca-cert.pem", certs.get(0));
        data.put("ca-key.pem", key);
        data.put("cert-chain.pem", chain);
        data.put("root-cert.pem", certs.get(certs.size() - 1));
        Map<String, String> encoded = new HashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.US_ASCII))));
        admin.secrets().inNamespace("istio-system").resource(new SecretBuilder().withNewMetadata().withName("cacerts")
                .withNamespace("istio-system").endMetadata().withData(encoded).build()).serverSideApply();
    }

    private static String clusterEntry(KubeApiServer api) {
        return "- name: " + api.name() + "\n  cluster:\n    server: " + api.url() + "\n    certificate-authority-data: "
                + Base64.getEncoder().encodeToString(api.caPem().getBytes(StandardCharsets.US_ASCII)) + "\n";
    }

    private static String userEntry(KubeApiServer api, String token) {
        return "- name: " + api.name() + "-admin\n  user:\n    token: " + token + "\n";
    }

    private static String contextEntry(String name) {
        return "- name: " + name + "\n  context:\n    cluster: " + name + "\n    user: " + name + "-admin\n";
    }

    private static MeshCluster cluster(String name, String network) {
        return new MeshCluster(name, network, Locality.of("us-east1"), new GatewayAddress("34.120.10.9", 15443),
                name + ".meshfed.example", null);
    }

    private Cli.Run meshfed(Map<String, String> env, String... args) {
        return Cli.real(env).run(args);
    }

    private Cli.Run onReady(String... args) {
        List<String> all = new ArrayList<>(List.of("--kubeconfig", both.toString(), "--context", "ready"));
        all.addAll(List.of(args));
        return meshfed(Map.of(), all.toArray(String[]::new));
    }

    private Cli.Run onBare(String... args) {
        List<String> all = new ArrayList<>(List.of("--kubeconfig", both.toString()));
        all.addAll(List.of(args));
        return meshfed(Map.of(), all.toArray(String[]::new));
    }

    // --kubeconfig, --context, KUBECONFIG

    @Test
    void kubeconfigAndContextFollowKubectlsPrecedence() {
        Path readyOnly = ready.kubeconfig();
        Cli.Run byContext = onReady("cluster", "list");
        Cli.Run currentContext = onBare("cluster", "list");
        Cli.Run fromEnv = meshfed(Map.of("KUBECONFIG", readyOnly.toString()), "cluster", "list");
        Cli.Run flagBeatsEnv = meshfed(Map.of("KUBECONFIG", readyOnly.toString()), "--kubeconfig", both.toString(),
                "cluster", "list");
        Cli.Run envList = meshfed(Map.of("KUBECONFIG", dir.resolve("missing").toString() + ":" + readyOnly),
                "cluster", "list");
        Cli.Run envContext = meshfed(Map.of("KUBECONFIG", both.toString()), "--context", "ready", "cluster", "list");
        Cli.Run home = meshfed(Map.of("HOME", homeWith(readyOnly).toString()), "cluster", "list");
        Cli.Run noContext = onBare("--context", "nope", "cluster", "list");
        Cli.Run noFile = meshfed(Map.of(), "--kubeconfig", dir.resolve("missing").toString(), "cluster", "list");
        Cli.Run nothing = meshfed(Map.of(), "cluster", "list");

        assertEquals(0, byContext.exitCode(), byContext.err());
        assertTrue(byContext.out().contains("kc-probe"), byContext.out());
        assertEquals(0, currentContext.exitCode(), currentContext.err());
        assertEquals("no clusters registered\n", currentContext.out());
        assertTrue(fromEnv.out().contains("kc-probe"), fromEnv.out() + fromEnv.err());
        assertEquals("no clusters registered\n", flagBeatsEnv.out(), flagBeatsEnv.err());
        assertTrue(envList.out().contains("kc-probe"), envList.out() + envList.err());
        assertTrue(envContext.out().contains("kc-probe"), envContext.out() + envContext.err());
        assertTrue(home.out().contains("kc-probe"), home.out() + home.err());
        assertEquals(ExitCodes.USAGE, noContext.exitCode());
        assertTrue(noContext.err().contains("no context 'nope' in kubeconfig " + both + " (--kubeconfig)"),
                noContext.err());
        assertEquals(ExitCodes.USAGE, noFile.exitCode());
        assertTrue(noFile.err().contains("--kubeconfig " + dir.resolve("missing") + ": no such file"), noFile.err());
        assertEquals(ExitCodes.USAGE, nothing.exitCode());
        assertTrue(nothing.err().contains("give --kubeconfig FILE, set KUBECONFIG or create ~/.kube/config"),
                nothing.err());
    }

    private Path homeWith(Path kubeconfig) {
        try {
            Path home = dir.resolve("home");
            Files.createDirectories(home.resolve(".kube"));
            Files.copy(kubeconfig, home.resolve(".kube/config"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return home;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // check management

    @Test
    void checkManagementPassesOnAClusterSetUpFromTheManifests() {
        Cli.Run run = onReady("check", "management");

        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertFalse(run.out().contains("FAIL"), run.out());
        for (String line : List.of("OK    api-server", "OK    crd meshclusters.meshfed.io", "OK    crd trafficpolicies.meshfed.io",
                "OK    crd accesspolicies.meshfed.io", "OK    namespace meshfed ", "OK    namespace meshfed-pki",
                "OK    pki CA Secret", "OK    ksvc meshfed-registration", "OK    ksvc meshfed-export",
                "OK    ksvc meshfed-pki", "OK    ksvc meshfed-workload-events", "OK    ksvc meshfed-xds-bridge",
                "OK    rbac registration", "OK    rbac pki", "OK    you: list meshclusters", "OK    broker meshfed ",
                "OK    broker meshfed dead letters", "OK    trigger meshfed-pki-csr-submitted",
                "OK    trigger meshfed-xds-bridge-catalog-changed")) {
            assertTrue(run.out().contains(line), line + " in\n" + run.out());
        }
        assertTrue(run.out().contains("signer CN=ready root"), run.out());
        assertTrue(run.out().endsWith("management cluster: ready (0 warnings)\n"), run.out());
    }

    @Test
    void checkManagementFailsWhatIsMissingAndSaysWhatToApply() throws Exception {
        Cli.Run run = onBare("check", "management");
        Cli.Run json = onBare("check", "management", "-o", "json");

        assertEquals(ExitCodes.REJECTED, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("OK    crd meshclusters.meshfed.io"), run.out());
        assertLine(run, "FAIL", "crd trafficpolicies.meshfed.io",
                "not installed: kubectl apply --server-side -f knative/manifests/crd/trafficpolicy.yaml");
        assertLine(run, "FAIL", "pki CA Secret", "no Secret meshfed-pki/meshfed-pki-ca: the PKI function creates it "
                + "on its first start; to bring your own: meshfed pki init --import-key KEY --import-chain CHAIN");
        assertLine(run, "WARN", "knative services", "Knative Serving is not installed");
        assertLine(run, "FAIL", "rbac registration", "missing ServiceAccount meshfed/meshfed-registration");
        assertLine(run, "FAIL", "rbac registration", ": kubectl apply -f knative/manifests/rbac/registration.yaml");
        assertTrue(run.out().endsWith(" checks failed\n"), run.out());
        var doc = Output.JSON.readTree(json.out());
        assertFalse(doc.path("ready").asBoolean(true));
        assertTrue(doc.path("checks").size() > 10);
    }

    @Test
    void checkManagementAsAnOperatorWithoutClusterRightsWarnsButDoesNotFail() {
        KubernetesClient admin = ready.admin();
        admin.rbac().roleBindings().inNamespace("meshfed-pki").resource(new RoleBindingBuilder().withNewMetadata()
                .withName("ops-pki-public").withNamespace("meshfed-pki").endMetadata().withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("meshfed-pki-public").endRoleRef()
                .addNewSubject().withKind("ServiceAccount").withName("ops").withNamespace(NS).endSubject().build())
                .serverSideApply();
        String token = ready.serviceAccountToken(NS, "ops", KubeApiServer.ISSUER, Duration.ofHours(1));

        Cli.Run run = meshfed(Map.of(), "--kubeconfig", ready.kubeconfig(token, "ops").toString(), "check",
                "management");

        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertLine(run, "WARN", "crd meshclusters.meshfed.io", "served, but you may not read CRDs");
        assertLine(run, "OK", "pki CA Secret", "present (seen through its public copy meshfed-pki/meshfed-pki-ca-public");
        assertLine(run, "WARN", "you: list meshclusters", "denied: meshfed cluster list will not work for you");
        assertLine(run, "WARN", "you: update secrets", "as intended for most operators");
        assertLine(run, "OK", "you: get configmaps", "allowed (meshfed pki status)");
        assertLine(run, "WARN", "rbac registration", "you may not read RBAC objects");
    }

    // check workload

    @Test
    void checkWorkloadPassesWithTheWorkloadManifestsAndAGoodCacerts() {
        Cli.Run run = onReady("check", "workload");

        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertFalse(run.out().contains("FAIL"), run.out());
        assertLine(run, "OK", "api-server", "runs Kubernetes v1.36");
        assertLine(run, "OK", "namespace istio-system", "exists");
        assertLine(run, "OK", "cacerts", "CN=east intermediate,O=meshfed, chain ends at a root in root-cert.pem");
        assertLine(run, "OK", "reader meshfed-system/meshfed-export-reader rbac", "no Secrets");
        assertLine(run, "OK", "csr agent istio-system/meshfed-csr-agent", "ServiceAccount exists");
        assertLine(run, "OK", "istiod", "available");
        assertLine(run, "OK", "istiod mesh config", "configSources xds://127.0.0.1:15011, k8s://");
        assertLine(run, "OK", "istiod relay", "Secret meshfed-xds-client mounted at /etc/meshfed/xds-client");
        assertTrue(run.out().endsWith("workload cluster: ready (0 warnings)\n"), run.out());
    }

    @Test
    void checkWorkloadFailsAMissingReaderAWrongKeyAndMissingRights() {
        bare.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("meshfed-system")
                .endMetadata().build()).serverSideApply();
        bare.admin().serviceAccounts().inNamespace("meshfed-system").resource(new ServiceAccountBuilder()
                .withNewMetadata().withName("lonely").withNamespace("meshfed-system").endMetadata().build())
                .serverSideApply();

        Cli.Run run = onBare("check", "workload");
        Cli.Run lonely = onBare("check", "workload", "--reader-service-account", "lonely");

        assertEquals(ExitCodes.REJECTED, run.exitCode(), run.out() + run.err());
        assertLine(run, "FAIL", "cacerts", "ca-key.pem does not match ca-cert.pem: delete it and let the CSR agent "
                + "write it again");
        assertLine(run, "FAIL", "reader meshfed-system/meshfed-export-reader",
                "no such ServiceAccount: kubectl apply -f knative/workload/export-reader.yaml");
        assertLine(run, "WARN", "csr agent istio-system/meshfed-csr-agent", "the CSR agent is not installed");
        assertEquals(ExitCodes.REJECTED, lonely.exitCode());
        assertLine(lonely, "FAIL", "reader meshfed-system/lonely rbac", "may not list services, list pods, list nodes, "
                + "list endpointslices.discovery.k8s.io, list serviceexports.multicluster.x-k8s.io, create "
                + "tokenreviews.authentication.k8s.io");
    }

    @Test
    void anApiServerThatDoesNotAnswer() throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path dead = dir.resolve("dead.yaml");
        Files.writeString(dead, Files.readString(ready.kubeconfig()).replace(ready.url(), "https://127.0.0.1:" + port));
        Cli.Run run = meshfed(Map.of(), "--kubeconfig", dead.toString(), "--timeout", "5", "check", "workload");
        assertEquals(ExitCodes.UNREACHABLE, run.exitCode(), run.out() + run.err());
        assertLine(run, "FAIL", "api-server", "no answer from https://127.0.0.1:" + port);
    }

    private static void assertLine(Cli.Run run, String level, String check, String text) {
        boolean found = run.out().lines().anyMatch(l -> l.startsWith(String.format("%-4s  %s ", level, check))
                && l.contains(text));
        assertTrue(found, level + " " + check + " ... " + text + " in\n" + run.out());
    }

    // --wait: the status behind a broker that answers 202

    @Test
    void registerExportAndDeregisterWaitForTheStatusTheFunctionsWrite() throws Exception {
        KubernetesClient admin = ready.admin();
        KubernetesClusterStore store = new KubernetesClusterStore(admin, NS);
        ClusterStatusWriter registration = new KubernetesClusterStatusWriter(admin, NS, "meshfed-registration",
                Clock.systemUTC());
        ClusterStatusWriter export = new KubernetesClusterStatusWriter(admin, NS, "meshfed-export", Clock.systemUTC());
        try (TestBroker broker = new TestBroker()) {
            broker.answer(event -> {
                startThread(() -> {
                    try {
                        Thread.sleep(500);
                        switch (event.getType()) {
                            case EventTypes.CLUSTER_REGISTRATION_REQUESTED -> {
                                store.put(cluster("north", "net-north"), Optional.empty());
                                registration.report("north", Report.of(
                                        new Condition("Registered", ConditionStatus.TRUE, "Registered", "created"),
                                        new Condition("ApiReachable", ConditionStatus.UNKNOWN, "NoApiAccess", "")));
                            }
                            case EventTypes.SERVICE_EXPORT_SYNC -> export.report("north", new Report(List.of(
                                    new Condition("CatalogSynced", ConditionStatus.TRUE, "Synced", "3 services")),
                                    List.of(), Optional.of(new CatalogStatus(Instant.now(), 3)), Optional.empty()));
                            case EventTypes.CLUSTER_DEREGISTRATION_REQUESTED -> store.delete("north");
                            default -> {
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                return TestBroker.Answer.status(202, null, "");
            });
            Path file = dir.resolve("north.yaml");
            Files.writeString(file, "name: north\nnetwork: net-north\nlocality: {region: us-east1}\n"
                    + "eastWestGateway: {address: 34.120.10.9, port: 15443}\ntrustDomain: north.meshfed.example\n"
                    + "apiAccess: none\n");
            String url = broker.uri().toString();

            Cli.Run register = onReady("--broker", url, "cluster", "register", "-f", file.toString(), "--wait",
                    "--wait-timeout", "60");
            Cli.Run sync = onReady("--broker", url, "export", "sync", "north", "--wait", "--wait-timeout", "60");
            Cli.Run status = onReady("cluster", "status", "north", "-o", "json");
            Cli.Run noStatus = onReady("cluster", "status", "nowhere");
            Cli.Run unknown = onReady("--broker", url, "export", "sync", "nowhere", "--wait");
            Cli.Run deregister = onReady("--broker", url, "cluster", "deregister", "north", "--wait",
                    "--wait-timeout", "60");

            assertEquals(0, register.exitCode(), register.out() + register.err());
            assertTrue(register.out().startsWith("accepted: "), register.out());
            assertTrue(register.out().contains("MeshCluster meshfed/north (generation 1):"), register.out());
            assertTrue(register.out().matches("(?s).*\\nRegistered +True +Registered .*"), register.out());
            assertEquals(0, sync.exitCode(), sync.out() + sync.err());
            assertTrue(sync.out().matches("(?s).*\\nCatalogSynced +True +Synced .*"), sync.out());
            assertTrue(sync.out().contains(", 3 services"), sync.out());
            assertEquals(0, status.exitCode(), status.err());
            var conditions = Output.JSON.readTree(status.out()).path("status").path("conditions");
            List<String> types = new ArrayList<>();
            conditions.forEach(c -> types.add(c.path("type").asText() + "=" + c.path("status").asText()));
            assertEquals(List.of("Registered=True", "ApiReachable=Unknown", "CatalogSynced=True"), types);
            assertEquals(3, Output.JSON.readTree(status.out()).path("status").path("catalog").path("services").asInt());
            assertEquals(ExitCodes.NOT_FOUND, noStatus.exitCode());
            assertTrue(noStatus.err().contains("no MeshCluster meshfed/nowhere at "), noStatus.err());
            assertEquals(ExitCodes.NOT_FOUND, unknown.exitCode());
            assertTrue(unknown.err().contains("no MeshCluster meshfed/nowhere"), unknown.err());
            assertEquals(0, deregister.exitCode(), deregister.out() + deregister.err());
            assertTrue(deregister.out().endsWith("MeshCluster meshfed/north is gone\n"), deregister.out());
            assertEquals(3, broker.received().size(), "export sync of an unknown cluster sent nothing");
        }
    }

    @Test
    void aFailedSyncExitsOneAndARefusalThatWritesNoStatusEndsInTheTimeout() throws Exception {
        KubernetesClient admin = ready.admin();
        new KubernetesClusterStore(admin, NS).put(cluster("south", "net-south"), Optional.empty());
        ClusterStatusWriter export = new KubernetesClusterStatusWriter(admin, NS, "meshfed-export", Clock.systemUTC());
        try (TestBroker broker = new TestBroker()) {
            broker.answer(event -> {
                if (event.getType().equals(EventTypes.SERVICE_EXPORT_SYNC)) {
                    startThread(() -> export.report("south", Report.of(new Condition("CatalogSynced",
                            ConditionStatus.FALSE, "Unreachable", "connection refused"))));
                }
                return TestBroker.Answer.status(202, null, "");
            });
            String url = broker.uri().toString();
            Cli.Run sync = onReady("--broker", url, "export", "sync", "south", "--wait", "--wait-timeout", "60");
            Cli.Run rejected = onReady("--broker", url, "cluster", "register", "--name", "south", "--network",
                    "other-net", "--region", "us-east1", "--gateway", "34.120.10.9", "--trust-domain",
                    "south.meshfed.example", "--no-api-access", "--wait", "--wait-timeout", "3", "-o", "json");

            assertEquals(ExitCodes.REJECTED, sync.exitCode(), sync.out() + sync.err());
            assertTrue(sync.out().matches("(?s).*\\nCatalogSynced +False +Unreachable .*connection refused.*"),
                    sync.out());
            assertEquals(ExitCodes.UNREACHABLE, rejected.exitCode(), rejected.out() + rejected.err());
            assertTrue(rejected.err().contains("no new status on MeshCluster meshfed/south within 3 s (--wait-timeout); "
                    + "a rejected registration writes no status"), rejected.err());
            assertEquals("accepted", Output.JSON.readTree(rejected.out()).path("status").asText());
        }
    }

    // pki init / rotate-root on the real CA Secret

    @Test
    void rootRotationOnTheSecretWithStatusFromItsPublicCopy() throws Exception {
        String[] secret = {"--secret", "rotation-test"};
        Cli.Run init = onReady(concat(new String[] {"pki", "init", "--common-name", "first"}, secret));
        Cli.Run introduce = onReady(concat(new String[] {"pki", "rotate-root", "introduce", "--common-name", "second"},
                secret));
        Cli.Run introduced = onReady(concat(new String[] {"pki", "status", "-o", "json"}, secret));
        Cli.Run activate = onReady(concat(new String[] {"pki", "rotate-root", "activate"}, secret));
        Cli.Run activated = onReady(concat(new String[] {"pki", "status", "-o", "json"}, secret));
        Cli.Run retire = onReady(concat(new String[] {"pki", "rotate-root", "retire"}, secret));
        Cli.Run retired = onReady(concat(new String[] {"pki", "status", "-o", "json"}, secret));

        for (Cli.Run run : List.of(init, introduce, introduced, activate, activated, retire, retired)) {
            assertEquals(0, run.exitCode(), run.out() + run.err());
        }
        assertTrue(init.out().contains("source: Secret meshfed-pki/rotation-test at "), init.out());
        assertEquals("introduced", Output.JSON.readTree(introduced.out()).path("phase").asText());
        assertEquals(2, Output.JSON.readTree(introduced.out()).path("trustedRoots").size());
        assertEquals("activated", Output.JSON.readTree(activated.out()).path("phase").asText());
        assertTrue(Output.JSON.readTree(activated.out()).path("signer").path("subject").asText().contains("second"));
        assertEquals(2, Output.JSON.readTree(activated.out()).path("trustedRoots").size());
        assertEquals("stable", Output.JSON.readTree(retired.out()).path("phase").asText());
        assertEquals(1, Output.JSON.readTree(retired.out()).path("trustedRoots").size());
    }

    private static void startThread(Runnable task) {
        Thread t = new Thread(task, "test-function");
        t.setDaemon(true);
        t.start();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
