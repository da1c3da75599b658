package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.istio.api.extensions.v1alpha1.WasmPlugin;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.sources.v1.ApiServerSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.net.URI;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Manifests that are not installed into the management cluster: what each workload cluster applies (knative/workload/:
 * meshfed's reader identity, the CSR agent, the export watch) and the Wasm filters' Istio WasmPlugins
 * (wasm-filters/deploy/istio/). Each parses into its fabric8 model class.
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
    void everyWorkloadDocumentParsesWithNoUnknownField() throws Exception {
        List<KubernetesResource> docs = parse(Manifests.MODULE.resolve("workload"));
        for (KubernetesResource doc : docs) {
            assertFalse(doc instanceof GenericKubernetesResource, doc + ": kind unknown to the fabric8 model");
            List<String> unknown = new ArrayList<>();
            ManifestsTest.unknownFields(doc, "", unknown, new IdentityHashMap<>());
            assertEquals(List.of(), unknown, ((HasMetadata) doc).getMetadata().getName() + ": fields the model does "
                    + "not know (typos?)");
        }
    }

    /**
     * The export watch: an ApiServerSource that may read exactly the three kinds it watches, in every namespace, sends
     * types the workload-events entry admits, names its cluster, and sends to that entry with a token for its audience
     * under the OIDC identity the entry expects (how Knative names a source's account).
     */
    @Test
    void exportWatchReadsItsThreeKindsAndSendsToTheWorkloadEventsEntryAsItsSender() throws Exception {
        Path dir = Manifests.MODULE.resolve("workload");
        List<KubernetesResource> docs = parse(dir);
        ApiServerSource source = docs.stream().filter(ApiServerSource.class::isInstance)
                .map(ApiServerSource.class::cast).findFirst().orElseThrow();
        String ns = source.getMetadata().getNamespace();
        assertEquals(List.of("meshfed-system", "meshfed-export-watch"), List.of(ns, source.getMetadata().getName()));
        // The namespace comes from a file kubectl applies earlier (`kubectl apply -f knative/workload/` goes by name).
        String creator = Manifests.files(dir).stream().filter(f -> Manifests.read(f).contains("kind: Namespace"))
                .map(f -> f.getFileName().toString()).findFirst().orElseThrow();
        assertTrue(creator.compareTo("export-watch.yaml") < 0, creator + " creates " + ns);
        assertTrue(docs.stream().anyMatch(d -> d instanceof Namespace n && n.getMetadata().getName().equals(ns)));

        var spec = source.getSpec();
        String account = spec.getServiceAccountName();
        assertTrue(docs.stream().anyMatch(d -> d instanceof ServiceAccount a && a.getMetadata().getName().equals(account)
                && a.getMetadata().getNamespace().equals(ns)), "its ServiceAccount is shipped beside it");
        ClusterRoleBinding binding = docs.stream().filter(ClusterRoleBinding.class::isInstance)
                .map(ClusterRoleBinding.class::cast).filter(b -> b.getSubjects().stream().anyMatch(
                        sub -> sub.getName().equals(account) && ns.equals(sub.getNamespace())))
                .collect(Collectors.collectingAndThen(Collectors.toList(), l -> {
                    assertEquals(1, l.size(), "one binding for " + account);
                    return l.get(0);
                }));
        assertEquals(1, binding.getSubjects().size());
        ClusterRole role = docs.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .filter(r -> r.getMetadata().getName().equals(binding.getRoleRef().getName())).findFirst().orElseThrow();
        // Knative checks get, list and watch on each watched resource before it starts the source; nothing more.
        Set<String> granted = new TreeSet<>();
        for (var rule : role.getRules()) {
            assertEquals(List.of("get", "list", "watch"), rule.getVerbs(), "read verbs only: " + rule);
            assertTrue(rule.getResourceNames() == null || rule.getResourceNames().isEmpty(), rule.toString());
            for (String group : rule.getApiGroups()) {
                rule.getResources().forEach(r -> granted.add(group + "/" + r));
            }
        }
        assertEquals(Set.of("/services", "discovery.k8s.io/endpointslices", "multicluster.x-k8s.io/serviceexports"),
                granted);
        Set<String> watched = spec.getResources().stream().map(r -> (r.getApiVersion().contains("/")
                ? r.getApiVersion().substring(0, r.getApiVersion().indexOf('/')) : "") + "/"
                + r.getKind().toLowerCase(Locale.ROOT) + "s").collect(Collectors.toCollection(TreeSet::new));
        assertEquals(granted, watched, "it watches what it may read");
        assertNotNull(spec.getNamespaceSelector(), "without a selector it would watch " + ns + " alone");
        var selector = spec.getNamespaceSelector();
        assertTrue((selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty()),
                "an empty selector: every namespace");
        // Knative Eventing v0.50.0 (pkg/apis/sources/constants.go): Reference mode sends
        // dev.knative.apiserver.ref.{add,update,delete} (EventTypes.APISERVER_REF_*), which the entry admits, with the
        // object's reference only: no workload object crosses to the management cluster.
        assertEquals("Reference", spec.getMode());
        assertFalse(spec.getCeOverrides().getExtensions().getOrDefault("meshfedcluster", "").isBlank(),
                "the entry reviews the token with the API server of the cluster this extension names");

        Service entry = Manifests.named(Service.class, ManifestsTest.WORKLOAD_EVENTS);
        Map<String, String> env = entry.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
        URI sink = URI.create(spec.getSink().getUri());
        assertEquals("https", sink.getScheme(), "the token crosses the network to another cluster");
        assertTrue(sink.getHost().startsWith(entry.getMetadata().getName() + "." + entry.getMetadata().getNamespace()
                + "."), "the entry's public address ({name}.{namespace}.{domain}): " + sink);
        assertEquals(env.get("MESHFED_WORKLOAD_EVENTS_AUDIENCE"), spec.getSink().getAudience(),
                "a token for the entry's audience, good for nothing else");
        assertEquals(env.get("MESHFED_WORKLOAD_EVENTS_SENDER"), ns + "/" + BrokerAuthorization.oidcServiceAccountName(
                "sources.knative.dev", "ApiServerSource", source.getMetadata().getName()),
                "the entry expects the OIDC ServiceAccount Knative gives this source");
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
