package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code check management}'s Knative Eventing checks and {@code check workload}'s istiod checks on a real
 * kube-apiserver with Knative Eventing's real CRDs, one API server playing both clusters: set up healthy
 * ({@link Installs}: meshfed's Broker and Triggers from knative/manifests, istiod patched with what the workload chart
 * renders, a MeshCluster whose IstiodConnected the bridge's status writer set), every check is OK; then each test
 * breaks one piece as an operator might, and the check FAILs (or WARNs) saying what to run. Each test restores the
 * healthy install after it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class CheckEventingAndIstiodTest {
    private static final String NS = "meshfed";

    private Etcd etcd;
    private KubeApiServer api;
    private KubernetesClient admin;
    private Path dir;
    private ClusterStatusWriter bridgeStatus;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("meshfed-cli-check");
        etcd = Etcd.start();
        api = KubeApiServer.start("east", etcd);
        admin = api.admin();
        api.apply(Installs.MANIFESTS.resolve("namespace.yaml"));
        api.apply(Installs.MANIFESTS.resolve("crd").resolve("meshcluster.yaml"));
        // the rest of the workload side: its CSR agent says the cluster's name (east)
        api.apply(Path.of("../knative/workload/export-reader.yaml"));
        api.apply(Path.of("../knative/workload/csr-agent.yaml"));
        new KubernetesClusterStore(admin, NS).put(new MeshCluster("east", "net-east", Locality.of("us-east1"),
                new GatewayAddress("34.120.10.9", 15443), "east.meshfed.example", null), Optional.empty());
        bridgeStatus = new KubernetesClusterStatusWriter(admin, NS, "meshfed-xds-bridge", Clock.systemUTC());
        healthy();
    }

    /** The healthy install, (re)applied: what each test starts from. */
    private void healthy() throws Exception {
        Installs.eventing(api);
        Installs.istiod(api, dir);
        istiodConnected(true);
    }

    /** What the bridge writes when east's istiod opens (or its last one closes) an ADS stream. */
    private void istiodConnected(boolean connected) {
        bridgeStatus.report("east", ClusterStatusWriter.Report.of(connected
                ? new Condition(ClusterStatusWriter.ISTIOD_CONNECTED, ConditionStatus.TRUE, "StreamOpen",
                        "an istiod of cluster east holds an ADS stream to bridge replica meshfed-xds-bridge-0")
                : new Condition(ClusterStatusWriter.ISTIOD_CONNECTED, ConditionStatus.FALSE, "NoStream",
                        "no istiod of cluster east holds an ADS stream to the bridge (the last one to replica "
                                + "meshfed-xds-bridge-0 closed)")));
    }

    @AfterEach
    void restore() throws Exception {
        healthy();
    }

    @AfterAll
    void stop() {
        if (api != null) {
            api.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private Cli.Run check(String... args) {
        List<String> all = new ArrayList<>(List.of("--kubeconfig", api.kubeconfig().toString(), "check"));
        all.addAll(List.of(args));
        return Cli.real(Map.of()).run(all.toArray(String[]::new));
    }

    private Cli.Run management() {
        return check("management");
    }

    private Cli.Run workload() {
        return check("workload", "--management-kubeconfig", api.kubeconfig().toString());
    }

    private static void assertLine(Cli.Run run, String level, String check, String text) {
        boolean found = run.out().lines().anyMatch(l -> l.startsWith(String.format("%-4s  %s ", level, check))
                && l.contains(text));
        assertTrue(found, level + " " + check + " ... " + text + " in\n" + run.out());
    }

    /** The lines of one check (its prefix), for asserting that nothing else about it changed. */
    private static List<String> lines(Cli.Run run, String prefix) {
        return run.out().lines().filter(l -> l.substring(Math.min(6, l.length())).startsWith(prefix)).toList();
    }

    private void editTrigger(String name, Consumer<Map<String, Object>> change) {
        var triggers = admin.genericKubernetesResources("eventing.knative.dev/v1", "Trigger").inNamespace(NS);
        GenericKubernetesResource t = triggers.withName(name).get();
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) t.getAdditionalProperties().get("spec");
        change.accept(spec);
        triggers.resource(t).update();
    }

    private void setIstiodImage(String image) {
        editIstiod(containers -> containers.stream().filter(c -> c.getName().equals("discovery"))
                .forEach(c -> c.setImage(image)));
    }

    private void editIstiod(Consumer<List<Container>> change) {
        admin.apps().deployments().inNamespace(Installs.ISTIO_NS).withName("istiod").edit(d -> {
            change.accept(d.getSpec().getTemplate().getSpec().getContainers());
            return d;
        });
    }

    private void mesh(String yaml) {
        admin.configMaps().inNamespace(Installs.ISTIO_NS).withName("istio").edit(cm -> {
            cm.getData().put("mesh", yaml);
            return cm;
        });
    }

    // ---- healthy

    @Test
    void aHealthyInstallPasses() throws Exception {
        Cli.Run m = management();
        assertLine(m, "OK", "broker meshfed", "Ready, http://broker-ingress.knative-eventing.svc.cluster.local/meshfed/meshfed");
        assertLine(m, "OK", "broker meshfed dead letters", "sink Service meshfed/meshfed-dead-letters exists");
        assertEquals(CheckCommand.TRIGGER_FILES.size(), lines(m, "trigger ").size(), m.out());
        for (String line : lines(m, "trigger ")) {
            assertTrue(line.startsWith("OK  "), line);
        }
        assertLine(m, "OK", "trigger meshfed-pki-csr-submitted", "Ready, io.meshfed.csr.submitted -> meshfed-pki");
        assertFalse(m.out().contains("knative eventing"), m.out());

        Cli.Run w = workload();
        assertLine(w, "OK", "istiod", "Deployment istio-system/istiod available, 1/1 replicas available");
        assertLine(w, "OK", "istiod version", "Istio 1.28.1 (supported: 1.24 to 1.31)");
        assertLine(w, "OK", "istiod mesh config", "configSources xds://127.0.0.1:15011, k8s://");
        assertLine(w, "OK", "istiod relay", "container meshfed-xds-relay (meshfed/xds-relay:0.1.0-SNAPSHOT) dials "
                + "xds.meshfed.example:15010, Secret meshfed-xds-client mounted at /etc/meshfed/xds-client");
        assertLine(w, "OK", "istiod relay certificate", "CN=east.xds.meshfed.example");
        assertLine(w, "OK", "istiod connected (MeshCluster east)", "True (StreamOpen) since ");
        for (String prefix : List.of("istiod", "istiod connected")) {
            for (String line : lines(w, prefix)) {
                assertTrue(line.startsWith("OK  "), line);
            }
        }
        Path out = Path.of("target", "check-output");
        Files.createDirectories(out);
        Files.writeString(out.resolve("management-healthy.txt"), m.out());
        Files.writeString(out.resolve("workload-healthy.txt"), w.out());
    }

    @Test
    void theShardedSourcesTheChartRendersAreWhatTheMeshConfigMustList() throws Exception {
        Map<String, String> sharded = Installs.renderedIstiod(dir, "istiod.relay.shards=3");
        Installs.patchRelay(admin, sharded.get("patch"));
        Cli.Run before = workload();
        assertLine(before, "FAIL", "istiod mesh config", "lacks xds://127.0.3.1:15011, xds://127.0.3.2:15011, "
                + "xds://127.0.3.3:15011 (the relay's 3 sharded sources)");
        mesh(Output.YAML.writeValueAsString(Output.YAML.readTree(sharded.get("values")).path("meshConfig")));
        Cli.Run after = workload();
        assertLine(after, "OK", "istiod mesh config", "configSources xds://127.0.3.1:15011, xds://127.0.3.2:15011, "
                + "xds://127.0.3.3:15011, k8s://");
    }

    // ---- the Broker and the Triggers

    @Test
    void theCliChecksEveryTriggerMeshfedShips() throws Exception {
        try (var files = Files.list(Installs.MANIFESTS.resolve("eventing/triggers"))) {
            assertEquals(files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".yaml")).sorted().toList(),
                    CheckCommand.TRIGGER_FILES.stream().sorted().toList(), "CheckCommand.TRIGGER_FILES");
        }
    }

    @Test
    void aTriggerThatDeliversElsewhereFails() throws Exception {
        editTrigger("meshfed-pki-csr-submitted", spec -> spec.put("subscriber", Map.of("ref", Map.of(
                "apiVersion", "serving.knative.dev/v1", "kind", "Service", "name", "meshfed-export"))));
        Cli.Run run = management();
        assertLine(run, "FAIL", "trigger meshfed-pki-csr-submitted", "delivers to Service meshfed/meshfed-export "
                + "(serving.knative.dev/v1), not Service meshfed/meshfed-pki (serving.knative.dev/v1): kubectl apply -f "
                + "knative/manifests/eventing/triggers/meshfed-pki-csr-submitted.yaml");
        assertEquals(ExitCodes.REJECTED, run.exitCode());
    }

    @Test
    void aTriggerFilteringAnotherTypeOrOnAnotherBrokerFails() throws Exception {
        editTrigger("meshfed-export-cluster-registered", spec -> spec.put("filter",
                Map.of("attributes", Map.of("type", "io.meshfed.cluster.registred"))));
        editTrigger("meshfed-xds-bridge-catalog-changed", spec -> spec.put("broker", "default"));
        Cli.Run run = management();
        assertLine(run, "FAIL", "trigger meshfed-export-cluster-registered",
                "filters {\"type\":\"io.meshfed.cluster.registred\"}, not {\"type\":\"io.meshfed.cluster.registered\"}: "
                        + "kubectl apply -f knative/manifests/eventing/triggers/meshfed-export-cluster-registered.yaml");
        assertLine(run, "FAIL", "trigger meshfed-xds-bridge-catalog-changed", "on Broker 'default', not 'meshfed'");
    }

    @Test
    void aMissingOrUnreadyTriggerFails() throws Exception {
        admin.genericKubernetesResources("eventing.knative.dev/v1", "Trigger").inNamespace(NS)
                .withName("meshfed-registration-cluster-registration-requested").delete();
        var triggers = admin.genericKubernetesResources("eventing.knative.dev/v1", "Trigger").inNamespace(NS);
        GenericKubernetesResource t = triggers.withName("meshfed-export-periodic-sync").get();
        t.getAdditionalProperties().put("status", Map.of("conditions", List.of(Map.of("type", "Ready", "status",
                "False", "reason", "SubscriberResolvedFailed", "message",
                "failed to get ref: services.serving.knative.dev \"meshfed-export\" not found",
                "lastTransitionTime", java.time.Instant.now().toString()))));
        triggers.resource(t).updateStatus();

        Cli.Run run = management();
        assertLine(run, "FAIL", "trigger meshfed-registration-cluster-registration-requested", "not in meshfed: "
                + "io.meshfed.cluster.registration.requested -> meshfed-registration is not delivered; kubectl apply -f "
                + "knative/manifests/eventing/triggers/meshfed-registration-cluster-registration-requested.yaml");
        assertLine(run, "FAIL", "trigger meshfed-export-periodic-sync", "not Ready: SubscriberResolvedFailed failed to "
                + "get ref: services.serving.knative.dev \"meshfed-export\" not found (kubectl describe trigger "
                + "meshfed-export-periodic-sync -n meshfed)");
    }

    @Test
    void aBrokerThatIsMissingOrNotReadyFails() throws Exception {
        var brokers = admin.genericKubernetesResources("eventing.knative.dev/v1", "Broker").inNamespace(NS);
        GenericKubernetesResource b = brokers.withName("meshfed").get();
        b.getAdditionalProperties().put("status", Map.of("conditions", List.of(Map.of("type", "Ready", "status",
                "False", "reason", "BrokerClassNotFound", "message", "no broker class MTChannelBasedBroker is installed",
                "lastTransitionTime", java.time.Instant.now().toString()))));
        brokers.resource(b).updateStatus();
        assertLine(management(), "FAIL", "broker meshfed", "not Ready: BrokerClassNotFound no broker class "
                + "MTChannelBasedBroker is installed (kubectl describe broker meshfed -n meshfed)");

        brokers.withName("meshfed").delete();
        brokers.withName("meshfed").waitUntilCondition(java.util.Objects::isNull, 30, java.util.concurrent.TimeUnit.SECONDS);
        assertLine(management(), "FAIL", "broker meshfed", "not in meshfed: every meshfed event goes through it; helm "
                + "install the meshfed chart (docs/deploy.md) or kubectl apply -f knative/manifests/eventing/broker.yaml");
    }

    @Test
    void aBrokerWithoutADeadLetterSinkWarnsAndOneWithoutItsSinkServiceFails() throws Exception {
        admin.services().inNamespace(NS).withName("meshfed-dead-letters").delete();
        admin.services().inNamespace(NS).withName("meshfed-dead-letters").waitUntilCondition(java.util.Objects::isNull,
                30, java.util.concurrent.TimeUnit.SECONDS);
        assertLine(management(), "FAIL", "broker meshfed dead letters", "its dead-letter sink Service "
                + "meshfed/meshfed-dead-letters does not exist, so undeliverable events are lost: kubectl apply -f "
                + "knative/manifests/eventing/dead-letters.yaml");

        var brokers = admin.genericKubernetesResources("eventing.knative.dev/v1", "Broker").inNamespace(NS);
        GenericKubernetesResource b = brokers.withName("meshfed").get();
        @SuppressWarnings("unchecked")
        Map<String, Object> delivery = (Map<String, Object>) ((Map<String, Object>) b.getAdditionalProperties()
                .get("spec")).get("delivery");
        delivery.remove("deadLetterSink");
        brokers.resource(b).update();
        Cli.Run run = management();
        assertLine(run, "WARN", "broker meshfed dead letters", "no dead-letter sink: an event still undelivered after "
                + "the retries is dropped unseen; helm upgrade the meshfed chart with deadLetters.enabled=true");
    }

    @Test
    void withoutKnativeEventingOneWarning() throws Exception {
        try (KubeApiServer bare = KubeApiServer.start("bare", etcd)) {
            Cli.Run run = Cli.real(Map.of()).run("--kubeconfig", bare.kubeconfig().toString(), "check", "management");
            assertLine(run, "WARN", "knative eventing", "Knative Eventing is not installed");
            assertFalse(run.out().contains("trigger "), run.out());
        }
    }

    // ---- istiod

    @Test
    void aMeshConfigWithoutTheRelayOrWithoutK8sFails() {
        mesh("configSources:\n- address: xds://127.0.0.1:15011\n");
        assertLine(workload(), "FAIL", "istiod mesh config", "configSources [xds://127.0.0.1:15011] lacks k8s://: with "
                + "config sources set, istiod reads Istio config only from them");
        mesh("configSources:\n- address: k8s://\n");
        Cli.Run run = workload();
        assertLine(run, "FAIL", "istiod mesh config", "configSources [k8s://] lacks xds://127.0.0.1:15011 (the "
                + "relay's): istiod reads nothing from meshfed: helm upgrade istiod istio/istiod -n istio-system "
                + "--reuse-values -f <(kubectl get configmap meshfed-istiod -n istio-system -o "
                + "jsonpath='{.data.istiod-values\\.yaml}')");
        mesh("defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n");
        assertLine(workload(), "FAIL", "istiod mesh config", "configSources [] lacks xds://127.0.0.1:15011");
        mesh("configSources:\n- address: xds://127.0.0.1:15011\n- address: xds://10.0.0.9:15010\n- address: k8s://\n");
        assertLine(workload(), "WARN", "istiod mesh config", "configSources also has xds://10.0.0.9:15010, which no "
                + "relay in istiod's pod listens on");
        admin.configMaps().inNamespace(Installs.ISTIO_NS).withName("istio").delete();
        admin.configMaps().inNamespace(Installs.ISTIO_NS).withName("istio").waitUntilCondition(java.util.Objects::isNull,
                30, java.util.concurrent.TimeUnit.SECONDS);
        assertLine(workload(), "FAIL", "istiod mesh config", "no ConfigMap istio-system/istio (istiod's chart writes it)");
    }

    @Test
    void anIstiodWithoutTheRelayOrItsSecretFails() {
        editIstiod(containers -> containers.stream().filter(c -> c.getName().equals("meshfed-xds-relay"))
                .forEach(c -> c.setVolumeMounts(c.getVolumeMounts().stream()
                        .filter(m -> !m.getName().equals("meshfed-xds-client")).toList())));
        assertLine(workload(), "FAIL", "istiod relay", "container meshfed-xds-relay does not mount Secret "
                + "meshfed-xds-client (its client certificate, kept by the CSR agent): kubectl patch deployment istiod "
                + "-n istio-system --type=strategic --patch \"$(kubectl get configmap meshfed-istiod -n istio-system -o "
                + "jsonpath='{.data.xds-relay-patch\\.yaml}')\"");
        editIstiod(containers -> containers.removeIf(c -> c.getName().equals("meshfed-xds-relay")));
        assertLine(workload(), "FAIL", "istiod relay", "no meshfed-xds-relay container in Deployment "
                + "istio-system/istiod: istiod cannot present the cluster's client certificate to the bridge without it; "
                + "kubectl patch deployment istiod -n istio-system --type=strategic");
    }

    @Test
    void aMissingOrExpiredRelayCertificateFails() {
        Installs.relaySecret(admin, Clock.offset(Clock.systemUTC(), Duration.ofDays(-2)));
        assertLine(workload(), "FAIL", "istiod relay certificate", ": EXPIRED, the bridge refuses the relay; the CSR "
                + "agent writes it once the PKI signs the cluster's client certificate (knative/workload/csr-agent.yaml): "
                + "is it running? kubectl logs -n istio-system deploy/meshfed-csr-agent");
        Installs.relaySecret(admin, Clock.offset(Clock.systemUTC(), Duration.ofHours(-22)));
        assertLine(workload(), "WARN", "istiod relay certificate", "min (renewed at two thirds of a day, so with 8 h left)");
        admin.secrets().inNamespace(Installs.ISTIO_NS).withName("meshfed-xds-client").delete();
        admin.secrets().inNamespace(Installs.ISTIO_NS).withName("meshfed-xds-client").waitUntilCondition(
                java.util.Objects::isNull, 30, java.util.concurrent.TimeUnit.SECONDS);
        assertLine(workload(), "FAIL", "istiod relay certificate", "no Secret istio-system/meshfed-xds-client: istiod's "
                + "pod cannot start without it (its relay mounts it)");
    }

    @Test
    void anUnavailableOrUnsupportedOrMissingIstiodFails() throws Exception {
        Installs.markAvailable(admin, false);
        assertLine(workload(), "FAIL", "istiod", "Deployment istio-system/istiod not available (0/1 replicas available; "
                + "MinimumReplicasUnavailable: Deployment does not have minimum availability.): kubectl describe "
                + "deployment istiod -n istio-system");
        setIstiodImage("docker.io/istio/pilot:1.22.3-distroless");
        assertLine(workload(), "FAIL", "istiod version", "Istio 1.22.3-distroless (image "
                + "docker.io/istio/pilot:1.22.3-distroless): meshfed needs 1.24 or newer (supported: 1.24 to 1.31): "
                + "upgrade istiod");
        setIstiodImage("docker.io/istio/pilot:1.33.0");
        assertLine(workload(), "WARN", "istiod version", "newer than meshfed was tested with (1.24 to 1.31)");
        setIstiodImage("registry.example/pilot@sha256:" + "a".repeat(64));
        assertLine(workload(), "WARN", "istiod version", "cannot tell the Istio version from image");
        admin.apps().deployments().inNamespace(Installs.ISTIO_NS).withName("istiod").delete();
        admin.apps().deployments().inNamespace(Installs.ISTIO_NS).withName("istiod").waitUntilCondition(
                java.util.Objects::isNull, 30, java.util.concurrent.TimeUnit.SECONDS);
        Cli.Run run = workload();
        assertLine(run, "FAIL", "istiod", "no Deployment istio-system/istiod: install istiod with meshfed's values");
        assertEquals(ExitCodes.REJECTED, run.exitCode());
    }

    @Test
    void anIstiodTheBridgeDoesNotSeeFails() throws Exception {
        istiodConnected(false);
        Cli.Run run = workload();
        assertLine(run, "FAIL", "istiod connected (MeshCluster east)", "IstiodConnected False (NoStream: no istiod of "
                + "cluster east holds an ADS stream to the bridge (the last one to replica meshfed-xds-bridge-0 closed))"
                + " since ");
        assertTrue(run.out().contains("kubectl logs -n istio-system deploy/istiod -c meshfed-xds-relay"), run.out());
        Files.createDirectories(Path.of("target", "check-output"));
        Files.writeString(Path.of("target", "check-output", "workload-disconnected.txt"), run.out());
        Cli.Run other = check("workload", "--management-kubeconfig", api.kubeconfig().toString(), "--cluster", "west");
        assertLine(other, "FAIL", "istiod connected (MeshCluster west)", "no MeshCluster meshfed/west in the management "
                + "cluster: register the cluster");
        Cli.Run without = check("workload");
        assertFalse(without.out().contains("istiod connected"), "not checked without a management cluster: "
                + without.out());
    }
}
