package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CaStore;
import io.meshfed.pki.ca.RootRotation;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.Peers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a healthy install looks like to {@code meshfed check} on a real kube-apiserver, where no controller runs:
 * Knative Eventing's real CRDs with meshfed's Broker, dead-letter sink and Triggers from knative/manifests, marked
 * Ready as Eventing's controller would; and istiod as the workload chart sets it up: a base istiod Deployment
 * patched with the chart's rendered {@code xds-relay-patch.yaml}, ConfigMap {@code istio} holding the chart's
 * rendered mesh config, the relay's certificate Secret, and the Deployment marked Available.
 */
final class Installs {
    static final Path MANIFESTS = Path.of("../knative/manifests");
    static final String ISTIO_NS = "istio-system";
    static final String ISTIOD_IMAGE = "docker.io/istio/pilot:1.28.1";

    private Installs() {
    }

    /** The Broker, its dead-letter sink and every Trigger in {@code meshfed}, all Ready. */
    static void eventing(KubeApiServer api) throws IOException {
        api.apply(Peers.get().file("knative.eventing.crds"));
        awaitServed(api.admin(), "eventing.knative.dev/v1", "brokers", "triggers");
        api.apply(MANIFESTS.resolve("eventing/broker.yaml"));
        api.apply(MANIFESTS.resolve("eventing/dead-letters.yaml"));
        KubernetesClient admin = api.admin();
        markReady(admin, "Broker", "meshfed", Map.of("address",
                Map.of("url", "http://broker-ingress.knative-eventing.svc.cluster.local/meshfed/meshfed")));
        for (String file : CheckCommand.TRIGGER_FILES) {
            String name = api.apply(MANIFESTS.resolve("eventing/triggers").resolve(file)).get(0).getMetadata().getName();
            markReady(admin, "Trigger", name, Map.of());
        }
    }

    /**
     * Waits until discovery lists {@code plurals} in {@code groupVersion}: a CRD is Established a moment before the
     * API server's discovery (which the client resolves custom kinds by) serves it.
     */
    static void awaitServed(KubernetesClient admin, String groupVersion, String... plurals) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            io.fabric8.kubernetes.api.model.APIResourceList resources;
            try {
                resources = admin.getApiResources(groupVersion);
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                resources = null; // 404 until the group is served
            }
            if (resources != null && resources.getResources().stream().map(r -> r.getName()).toList()
                    .containsAll(List.of(plurals))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(groupVersion + " does not serve " + List.of(plurals) + " after 30 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** What Knative Eventing's controller writes once a Broker or Trigger is up. */
    static void markReady(KubernetesClient admin, String kind, String name, Map<String, Object> more) {
        var resources = admin.genericKubernetesResources("eventing.knative.dev/v1", kind).inNamespace("meshfed");
        GenericKubernetesResource r = resources.withName(name).get();
        Map<String, Object> status = new java.util.HashMap<>(more);
        status.put("conditions", List.of(Map.of("type", "Ready", "status", "True",
                "lastTransitionTime", Instant.now().toString())));
        r.getAdditionalProperties().put("status", status);
        resources.resource(r).updateStatus();
    }

    /** The workload chart's ConfigMap meshfed-istiod, rendered by the real helm with east's values. */
    static Map<String, String> renderedIstiod(Path work, String... sets) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Peers.get().binary("helm.binary").toString(), "template", "meshfed",
                "../knative/charts/meshfed-workload", "--set", "cluster=east", "--set",
                "trustDomain=east.meshfed.example", "--set", "pkiUrl=https://meshfed-pki.meshfed.example.org",
                "--set", "istiod.bridgeAddress=xds.meshfed.example:15010"));
        for (String set : sets) {
            cmd.addAll(List.of("--set", set));
        }
        Path out = Files.createTempFile(work, "helm-", ".yaml");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), "helm template: " + Files.readString(out));
        for (String doc : Files.readString(out).split("(?m)^---\\s*$")) {
            if (doc.contains("name: meshfed-istiod")) {
                var tree = Output.YAML.readTree(doc);
                return Map.of("values", tree.path("data").path("istiod-values.yaml").asText(),
                        "patch", tree.path("data").path("xds-relay-patch.yaml").asText());
            }
        }
        throw new AssertionError("the workload chart rendered no ConfigMap meshfed-istiod:\n" + Files.readString(out));
    }

    /** istiod with the chart's relay patch and mesh config, its relay's Secret, and its Deployment Available. */
    static void istiod(KubeApiServer api, Path work) throws Exception {
        KubernetesClient admin = api.admin();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ISTIO_NS).endMetadata().build())
                .serverSideApply();
        Map<String, String> rendered = renderedIstiod(work);
        var meshConfig = Output.YAML.readTree(rendered.get("values")).path("meshConfig");
        admin.configMaps().inNamespace(ISTIO_NS).resource(new ConfigMapBuilder().withNewMetadata().withName("istio")
                .withNamespace(ISTIO_NS).endMetadata().addToData("mesh", Output.YAML.writeValueAsString(meshConfig))
                .build()).forceConflicts().serverSideApply();
        Deployment base = new DeploymentBuilder().withNewMetadata().withName("istiod").withNamespace(ISTIO_NS)
                .endMetadata().withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", "istiod")
                .endSelector().withNewTemplate().withNewMetadata().addToLabels("app", "istiod")
                .addToAnnotations("prometheus.io/port", "15014").addToAnnotations("prometheus.io/scrape", "true")
                .endMetadata().withNewSpec().addNewContainer().withName("discovery").withImage(ISTIOD_IMAGE)
                .addNewPort().withName("http-monitoring").withContainerPort(15014).endPort().endContainer().endSpec()
                .endTemplate().endSpec().build();
        admin.apps().deployments().inNamespace(ISTIO_NS).resource(base).forceConflicts().serverSideApply();
        patchRelay(admin, rendered.get("patch"));
        markAvailable(admin, true);
        relaySecret(admin, Clock.systemUTC());
    }

    /** The chart's strategic-merge patch, as {@code kubectl patch --type=strategic} applies it. */
    static void patchRelay(KubernetesClient admin, String patchYaml) throws IOException {
        String json = Output.JSON.writeValueAsString(Output.YAML.readTree(patchYaml));
        admin.apps().deployments().inNamespace(ISTIO_NS).withName("istiod")
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), json);
    }

    /** What the Deployment controller writes: one replica available, or none. */
    static void markAvailable(KubernetesClient admin, boolean available) {
        Deployment d = admin.apps().deployments().inNamespace(ISTIO_NS).withName("istiod").get();
        d.setStatus(new DeploymentStatusBuilder().withReplicas(1).withUpdatedReplicas(1)
                .withReadyReplicas(available ? 1 : 0).withAvailableReplicas(available ? 1 : 0)
                .withObservedGeneration(d.getMetadata().getGeneration())
                .withConditions(new DeploymentConditionBuilder().withType("Available")
                        .withStatus(available ? "True" : "False")
                        .withReason(available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable")
                        .withMessage(available ? "Deployment has minimum availability."
                                : "Deployment does not have minimum availability.")
                        .withLastTransitionTime(Instant.now().toString()).build()).build());
        admin.apps().deployments().inNamespace(ISTIO_NS).resource(d).updateStatus();
    }

    /** Secret meshfed-xds-client as the CSR agent writes it: a certificate valid for a day from {@code issuedAt}'s now. */
    static void relaySecret(KubernetesClient admin, Clock issuedAt) {
        Map<String, String> issued = CaStore.Entries.encode(CaState.of(RootRotation.generate("ecdsa-p256",
                "east.xds.meshfed.example", Duration.ofDays(1), issuedAt)));
        String chain = issued.get(CaStore.Entries.SIGNER_CHAIN);
        Map<String, String> data = Map.of("tls.crt", chain, "tls.key", issued.get(CaStore.Entries.SIGNER_KEY),
                "ca.crt", chain);
        Map<String, String> encoded = new java.util.HashMap<>();
        data.forEach((k, v) -> encoded.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.US_ASCII))));
        admin.secrets().inNamespace(ISTIO_NS).resource(new SecretBuilder().withNewMetadata().withName("meshfed-xds-client")
                .withNamespace(ISTIO_NS).endMetadata().withData(encoded).build()).forceConflicts().serverSideApply();
    }
}
