package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.istio.api.extensions.v1alpha1.WasmPlugin;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Manifests that are not installed into the management cluster: the CSR agent (one per workload cluster,
 * knative/workload/) and the Wasm filters' Istio WasmPlugins (wasm-filters/deploy/istio/). Each parses into
 * its fabric8 model class.
 */
class OutsideManifestsTest {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    static List<KubernetesResource> parse(Path dir) throws Exception {
        List<KubernetesResource> out = new ArrayList<>();
        for (Path f : Manifests.files(dir)) {
            for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
                if (!doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                    out.add(SERIALIZATION.unmarshal(doc));
                }
            }
        }
        return out;
    }

    @Test
    void csrAgentMayOnlyTouchCacertsInIstioSystem() throws Exception {
        List<KubernetesResource> docs = parse(Manifests.MODULE.resolve("workload"));
        Deployment agent = docs.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
                .findFirst().orElseThrow();
        assertEquals("istio-system", agent.getMetadata().getNamespace());
        Set<String> env = agent.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .map(e -> e.getName()).collect(Collectors.toSet());
        assertEquals(Set.of("MESHFED_CLUSTER", "MESHFED_TRUST_DOMAIN", "MESHFED_PKI_URL", "MESHFED_TOKEN_FILE"), env);
        // The PKI signs only for a token of this account, for its audience, read where the agent looks for it.
        assertEquals(Manifests.property("pki-function/function", "meshfed.pki.auth.agent-service-account"),
                agent.getMetadata().getNamespace() + "/" + agent.getSpec().getTemplate().getSpec()
                        .getServiceAccountName());
        var pod = agent.getSpec().getTemplate().getSpec();
        var token = pod.getVolumes().stream().filter(v -> v.getProjected() != null)
                .flatMap(v -> v.getProjected().getSources().stream().filter(p -> p.getServiceAccountToken() != null)
                        .map(p -> Map.entry(v.getName(), p.getServiceAccountToken())))
                .findFirst().orElseThrow(() -> new AssertionError("no projected service-account token"));
        assertEquals(Manifests.property("pki-function/function", "meshfed.pki.auth.audience"),
                token.getValue().getAudience(), "a token for the PKI only");
        assertTrue(token.getValue().getExpirationSeconds() <= 3600, "short-lived");
        var mount = pod.getContainers().get(0).getVolumeMounts().stream()
                .filter(m -> m.getName().equals(token.getKey())).findFirst().orElseThrow();
        String tokenFile = Manifests.property("pki-function/agent", "meshfed.agent.token-file");
        String mounted = mount.getMountPath() + "/" + token.getValue().getPath();
        assertEquals(tokenFile.replaceAll("^\\$\\{[A-Z_]+:(.*)}$", "$1"), mounted, "the agent's default path");
        assertEquals(mounted, pod.getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("MESHFED_TOKEN_FILE")).findFirst().orElseThrow().getValue());
        Role role = docs.stream().filter(Role.class::isInstance).map(Role.class::cast).findFirst().orElseThrow();
        role.getRules().forEach(r -> assertEquals(List.of("secrets"), r.getResources()));
        role.getRules().stream().filter(r -> r.getVerbs().contains("update"))
                .forEach(r -> assertEquals(List.of("cacerts", Manifests.property("pki-function/agent",
                        "meshfed.agent.xds-client.secret-name")), r.getResourceNames()));
        assertFalse(role.getRules().stream().anyMatch(r -> r.getVerbs().contains("*") || r.getVerbs().contains("list")));
    }

    @Test
    void everyWasmFilterHasAWasmPluginThatParses() throws Exception {
        List<WasmPlugin> plugins = parse(Manifests.ROOT.resolve("wasm-filters/deploy/istio")).stream()
                .map(WasmPlugin.class::cast).toList();
        assertEquals(Set.of("meshfed-failover-headers", "meshfed-retry-budget", "meshfed-telemetry-tags"),
                plugins.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet()));
        for (WasmPlugin p : plugins) {
            assertTrue(p.getSpec().getUrl().startsWith("oci://") || p.getSpec().getSha256() != null,
                    p.getMetadata().getName() + ": a module fetched over HTTPS needs its sha256");
            assertTrue(p.getSpec().getPluginConfig() instanceof io.fabric8.kubernetes.api.model.AnyType a
                    && a.getValue() instanceof java.util.Map<?, ?> m && !m.isEmpty(),
                    p.getMetadata().getName() + " has no pluginConfig: " + p.getSpec().getPluginConfig());
        }
    }
}
