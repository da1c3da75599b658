package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.knative.eventing.v1.Trigger;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The install as docs/deploy.md runs it, against a real kube-apiserver with the Knative, Istio and MCS CRDs (no
 * controllers: objects are stored, nothing reconciles them): knative/deploy.sh (helm upgrade --install of the
 * management chart) installs every manifest with every field, a re-run without options keeps the last run's options,
 * a re-run with one option changes only that; the workload chart installs with helm; knative/undeploy.sh removes the
 * release and keeps the CRDs, and --purge removes them. The steps build on each other, in order.
 */
@ExtendWith(PeerLogsOnFailure.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InstallRealApiServerTest {
    static final ResourceDefinitionContext PING_SOURCE = new ResourceDefinitionContext.Builder()
            .withGroup("sources.knative.dev").withVersion("v1").withKind("PingSource").withPlural("pingsources")
            .withNamespaced(true).build();
    static final ResourceDefinitionContext EVENT_POLICY = new ResourceDefinitionContext.Builder()
            .withGroup("eventing.knative.dev").withVersion("v1alpha1").withKind("EventPolicy")
            .withPlural("eventpolicies").withNamespaced(true).build();

    @TempDir
    static Path work;

    private static Path helm;
    private static Etcd etcd;
    private static KubeApiServer api;
    private static KubernetesClient admin;

    @BeforeAll
    static void start() {
        Peers peers = Peers.get();
        helm = peers.binary("helm.binary");
        etcd = Etcd.start();
        api = KubeApiServer.start("install", etcd);
        api.apply(peers.file("knative.serving.crds"));
        api.apply(peers.file("knative.eventing.crds"));
        api.apply(peers.istio().crds());
        api.apply(peers.file("mcs.crds"));
        admin = api.admin();
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    record Run(int exit, String output) {
    }

    /** A command from the repository root with the test's kubeconfig and helm, as an operator's shell would run it. */
    private static Run sh(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(work, "run-", ".out");
        ProcessBuilder pb = new ProcessBuilder(command).directory(Manifests.ROOT.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("KUBECONFIG", api.kubeconfig().toString());
        pb.environment().put("HELM", helm.toString());
        pb.environment().put("HELM_CACHE_HOME", work.resolve("helm-cache").toString());
        pb.environment().put("HELM_CONFIG_HOME", work.resolve("helm-config").toString());
        pb.environment().put("HELM_DATA_HOME", work.resolve("helm-data").toString());
        Process p = pb.start();
        if (!p.waitFor(240, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish within 240 s: " + List.of(command));
        }
        return new Run(p.exitValue(), Files.readString(out));
    }

    private static Service ksvc(String name) {
        return admin.resources(Service.class).inNamespace("meshfed").withName(name).get();
    }

    private static List<String> pingSources() {
        return admin.genericKubernetesResources(PING_SOURCE).inNamespace("meshfed").list().getItems().stream()
                .map(r -> r.getMetadata().getName()).sorted().toList();
    }

    @Test
    @Order(1)
    void deployStopsWithoutTheBridgesTlsSecret() throws Exception {
        assertEquals(0, sh("kubectl", "apply", "-f", "knative/manifests/namespace.yaml").exit());
        Run r = sh("knative/deploy.sh", "--cluster", "east");
        assertEquals(1, r.exit(), r.output());
        assertTrue(r.output().contains("Secret meshfed/meshfed-xds-bridge-tls"), r.output());
        assertTrue(sh(helm.toString(), "list", "-A", "-q").output().isBlank(), "nothing installed");
    }

    @Test
    @Order(2)
    void deployInstallsEveryManifestWithEveryField() throws Exception {
        admin.secrets().inNamespace("meshfed").resource(new SecretBuilder().withNewMetadata()
                .withName("meshfed-xds-bridge-tls").endMetadata().addToStringData("tls.crt", "-").build()).create();
        Run r = sh("knative/deploy.sh", "--image-prefix", "reg.example/mf", "--tag", "1.2.3", "--cluster", "east",
                "--cluster", "west");
        assertEquals(0, r.exit(), r.output());

        // every Trigger, with the label kn used to drop and the subscriber as written
        for (Trigger t : Manifests.triggers()) {
            Trigger live = admin.resources(Trigger.class).inNamespace("meshfed").withName(t.getMetadata().getName()).get();
            assertNotNull(live, t.getMetadata().getName());
            assertEquals(t.getSpec(), live.getSpec(), t.getMetadata().getName());
            assertEquals("meshfed", live.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
        }
        // every Knative Service with the tuning, env, volumes and probes of its manifest, and the image of the options
        for (Service s : Manifests.of(Service.class)) {
            Service live = ksvc(s.getMetadata().getName());
            var want = s.getSpec().getTemplate();
            var got = live.getSpec().getTemplate();
            assertEquals(want.getMetadata().getAnnotations(), got.getMetadata().getAnnotations());
            assertEquals(want.getSpec().getContainerConcurrency(), got.getSpec().getContainerConcurrency());
            assertEquals(want.getSpec().getTimeoutSeconds(), got.getSpec().getTimeoutSeconds());
            assertEquals(want.getSpec().getContainers().get(0).getEnv(), got.getSpec().getContainers().get(0).getEnv());
            assertEquals(want.getSpec().getContainers().get(0).getReadinessProbe(),
                    got.getSpec().getContainers().get(0).getReadinessProbe());
            String image = want.getSpec().getContainers().get(0).getImage();
            String name = image.substring(image.lastIndexOf('/') + 1, image.lastIndexOf(':'));
            assertEquals("reg.example/mf/" + name + ":1.2.3", got.getSpec().getContainers().get(0).getImage());
            assertEquals(true, got.getSpec().getContainers().get(0).getSecurityContext().getReadOnlyRootFilesystem());
            assertEquals(s.getMetadata().getLabels(), live.getMetadata().getLabels().entrySet().stream()
                    .filter(e -> s.getMetadata().getLabels().containsKey(e.getKey()))
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        }
        assertEquals(Manifests.files(Manifests.DIR.resolve("eventing/policies")).size(),
                admin.genericKubernetesResources(EVENT_POLICY).inNamespace("meshfed").list().getItems().size());
        assertEquals(List.of("meshfed-export-sync-east", "meshfed-export-sync-west"), pingSources());
        CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions()
                .withName("meshclusters.meshfed.io").get();
        assertNotNull(crd.getSpec().getVersions().get(0).getSubresources().getStatus(), "the status subresource");
    }

    @Test
    @Order(3)
    void aReRunRemembersTheOptionsAndOneOptionChangesOnlyItself() throws Exception {
        Run again = sh("knative/deploy.sh");
        assertEquals(0, again.exit(), again.output());
        assertEquals("reg.example/mf/export:1.2.3", ksvc("meshfed-export").getSpec().getTemplate().getSpec()
                .getContainers().get(0).getImage());
        assertEquals(List.of("meshfed-export-sync-east", "meshfed-export-sync-west"), pingSources());

        Run tag = sh("knative/deploy.sh", "--tag", "1.2.4", "--cluster", "east");
        assertEquals(0, tag.exit(), tag.output());
        assertEquals("reg.example/mf/export:1.2.4", ksvc("meshfed-export").getSpec().getTemplate().getSpec()
                .getContainers().get(0).getImage(), "the prefix is remembered, the tag changed");
        assertEquals(List.of("meshfed-export-sync-east"), pingSources(), "--cluster replaces the list");
        Run values = sh(helm.toString(), "get", "values", "meshfed", "-n", "meshfed");
        assertTrue(values.output().contains("registry: reg.example/mf") && values.output().contains("tag: 1.2.4"),
                values.output());
    }

    @Test
    @Order(4)
    void theWorkloadChartInstallsWithHelm() throws Exception {
        Run r = sh(helm.toString(), "install", "meshfed-east", "knative/charts/meshfed-workload", "--namespace",
                "meshfed-system", "--create-namespace", "--set", "cluster=east", "--set",
                "trustDomain=east.meshfed.example", "--set", "pkiUrl=https://meshfed-pki.meshfed.example.org", "--set",
                "istiod.bridgeAddress=xds.meshfed.example:15010");
        assertEquals(0, r.exit(), r.output());
        var agent = admin.apps().deployments().inNamespace("istio-system").withName("meshfed-csr-agent").get();
        assertEquals("east", agent.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("MESHFED_CLUSTER")).findFirst().orElseThrow().getValue());
        assertNotNull(admin.serviceAccounts().inNamespace("meshfed-system").withName("meshfed-export-reader").get());
        assertNotNull(admin.configMaps().inNamespace("istio-system").withName("meshfed-istiod").get());
    }

    @Test
    @Order(5)
    void undeployKeepsTheCrdsAndPurgeRemovesThem() throws Exception {
        admin.genericKubernetesResources(new ResourceDefinitionContext.Builder().withGroup("meshfed.io")
                .withVersion("v1alpha1").withKind("MeshCluster").withPlural("meshclusters").withNamespaced(true).build())
                .inNamespace("meshfed").resource(meshCluster()).create();
        Run r = sh("knative/undeploy.sh");
        assertEquals(0, r.exit(), r.output());
        assertNull(ksvc("meshfed-export"));
        assertEquals(List.of(), pingSources());
        assertNotNull(admin.apiextensions().v1().customResourceDefinitions().withName("meshclusters.meshfed.io").get(),
                "the CRD, and so every registered cluster, stays");
        assertEquals(0, sh("knative/undeploy.sh").exit(), "a second run has nothing to do");

        Run purge = sh("knative/undeploy.sh", "--purge");
        assertEquals(0, purge.exit(), purge.output());
        List<String> left = new ArrayList<>();
        for (Path f : Manifests.files(Manifests.DIR.resolve("crd"))) {
            String name = f.getFileName().toString();
            admin.apiextensions().v1().customResourceDefinitions().list().getItems().stream()
                    .filter(c -> c.getSpec().getGroup().equals("meshfed.io")).forEach(c -> left.add(c.getMetadata()
                            .getName() + " (" + name + ")"));
        }
        assertEquals(List.of(), left, "--purge deletes every CRD of knative/manifests/crd/");
    }

    private static GenericKubernetesResource meshCluster() {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion("meshfed.io/v1alpha1");
        r.setKind("MeshCluster");
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("east").withNamespace("meshfed")
                .build());
        r.setAdditionalProperties(Map.of("spec", Map.of("network", "net-east", "locality", Map.of("region", "r1"),
                "eastWestGateway", Map.of("address", "10.0.0.1", "port", 15443), "trustDomain", "east.example")));
        return r;
    }
}
