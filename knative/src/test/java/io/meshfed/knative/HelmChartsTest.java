package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.meshfed.knative.Helm.Run;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * meshfed's Helm charts (knative/charts/): {@code helm lint} and {@code helm template} with helm built from its Go
 * module (test-peers/helm), for the management chart and the workload chart, with default and other values; the
 * rendered objects compared with knative/manifests/ and knative/workload/ field by field (the charts render those
 * files, so nothing is kept twice), their content checked, and the whole output applied with
 * {@code kubectl apply --dry-run=server --validate=strict} to a real kube-apiserver with the Knative, Istio, MCS,
 * Prometheus Operator and meshfed CRDs.
 */
@ExtendWith(PeerLogsOnFailure.class)
class HelmChartsTest {
    static final Path CHARTS = Manifests.MODULE.resolve("charts");
    static final Path MANAGEMENT = CHARTS.resolve("meshfed");
    static final Path WORKLOAD = CHARTS.resolve("meshfed-workload");
    static final Path WORKLOAD_DIR = Manifests.MODULE.resolve("workload");

    /** The values a workload install cannot do without. */
    static final List<String> WORKLOAD_REQUIRED = List.of("--set", "cluster=east", "--set",
            "trustDomain=east.meshfed.example", "--set", "pkiUrl=https://meshfed-pki.meshfed.example.org", "--set",
            "istiod.bridgeAddress=xds.meshfed.example:15010");

    static final String OTHER_MANAGEMENT_VALUES = """
            namespace: mf-apps
            pkiNamespace: mf-keys
            createNamespaces: true
            image:
              registry: reg.example/team
              tag: 9.9.9
              pullPolicy: Always
            imagePullSecrets: [regcred]
            components:
              xds-bridge:
                minScale: 3
                maxScale: 3
              export:
                minScale: 1
                containerConcurrency: 2
                resources:
                  requests: {cpu: 200m, memory: 300Mi}
                  limits: {memory: 600Mi}
              pki:
                containerSecurityContext:
                  runAsUser: 10001
              registration:
                env:
                  MESHFED_EXTRA: "on"
                  MESHFED_NAMESPACE: set-by-values
            clusters: [east, west]
            xdsBridgeGrpc:
              loadBalancerSourceRanges: ["203.0.113.0/24"]
              annotations:
                service.beta.kubernetes.io/aws-load-balancer-internal: "true"
            """;

    static final String OTHER_WORKLOAD_VALUES = """
            cluster: west
            trustDomain: west.meshfed.example
            pkiUrl: https://pki.example.org
            namespace: mf-system
            istioNamespace: istio-system
            createNamespace: true
            image:
              registry: reg.example/team
              tag: 9.9.9
            csrAgent:
              replicas: 2
              resources:
                requests: {cpu: 20m, memory: 100Mi}
                limits: {memory: 200Mi}
              podSecurityContext:
                runAsUser: 10002
                fsGroup: 10002
            exportWatch:
              enabled: true
              sinkUri: https://workload-events.example.org
            istiod:
              bridgeAddress: xds.example.org:15010
              bridgeServerName: bridge.xds.example.org
              relay:
                shards: 3
                metricsPort: 9102
            """;

    @TempDir
    static Path work;

    private static Path helm;
    private static Etcd etcd;
    private static KubeApiServer api;

    @BeforeAll
    static void start() throws IOException {
        Peers peers = Peers.get();
        helm = peers.binary("helm.binary");
        etcd = Etcd.start();
        api = KubeApiServer.start("charts", etcd);
        api.apply(peers.file("knative.serving.crds"));
        api.apply(peers.file("knative.eventing.crds"));
        api.apply(peers.istio().crds());
        api.apply(peers.file("mcs.crds"));
        // the Prometheus Operator's CRDs as its release ships them: PrometheusRule and PodMonitor are validated too
        api.apply(peers.file("prometheus-operator.crds"));
        for (Path crd : Manifests.files(Manifests.DIR.resolve("crd"))) {
            api.apply(crd);
        }
        // A dry run creates nothing, so the namespaces the objects live in must exist (a rendered Namespace is then
        // validated as an update).
        for (String ns : List.of("meshfed", "meshfed-pki", "mf-apps", "mf-keys", "meshfed-system", "mf-system", "grafana",
                "monitoring")) {
            api.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata()
                    .build()).serverSideApply();
        }
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

    // ---- helm lint

    @Test
    void bothChartsLintCleanWithDefaultAndOtherValues() throws IOException {
        for (List<String> args : List.of(List.of("lint", "--strict", MANAGEMENT.toString()),
                List.of("lint", "--strict", MANAGEMENT.toString(), "-f", values("mgmt.yaml", OTHER_MANAGEMENT_VALUES)),
                concat(List.of("lint", "--strict", WORKLOAD.toString()), WORKLOAD_REQUIRED),
                List.of("lint", "--strict", WORKLOAD.toString(), "-f", values("wl.yaml", OTHER_WORKLOAD_VALUES)))) {
            Run r = run(helm, args);
            assertEquals(0, r.exit(), args + "\n" + r.output());
            assertTrue(r.output().contains("1 chart(s) linted, 0 chart(s) failed"), r.output());
        }
    }

    @Test
    void lintAndTemplateRefuseBadValues() throws IOException {
        Run badCluster = run(helm, List.of("lint", MANAGEMENT.toString(), "--set", "clusters={East_1}"));
        assertNotEquals(0, badCluster.exit(), badCluster.output());
        assertTrue(badCluster.output().contains("'East_1' does not match pattern"), badCluster.output());
        Run badScale = run(helm, List.of("template", "x", MANAGEMENT.toString(), "--set",
                "components.export.minScale=-1"));
        assertNotEquals(0, badScale.exit(), badScale.output());
        assertTrue(badScale.output().contains("/components/export/minScale"), badScale.output());
        Run badNamespace = run(helm, List.of("template", "x", MANAGEMENT.toString(), "--set", "namespace=Mesh_Fed"));
        assertNotEquals(0, badNamespace.exit(), badNamespace.output());
        assertTrue(badNamespace.output().contains("at '/namespace': 'Mesh_Fed' does not match pattern"),
                badNamespace.output());
        Run noCluster = run(helm, List.of("template", "x", WORKLOAD.toString()));
        assertNotEquals(0, noCluster.exit(), noCluster.output());
        assertTrue(noCluster.output().contains("cluster: the name this cluster is registered under"),
                noCluster.output());
    }

    // ---- the management chart

    @Test
    void managementDefaultsRenderEveryManifestWithEveryField() throws IOException {
        List<Map<String, Object>> rendered = template(MANAGEMENT, List.of());
        Map<String, Map<String, Object>> byKey = byKey(rendered);
        List<Map<String, Object>> expected = new ArrayList<>();
        for (Path f : Manifests.files(Manifests.DIR)) {
            if (f.endsWith("export-sync-pingsource.yaml") || f.endsWith("namespace.yaml")) {
                continue; // a template per --cluster; the namespaces exist before the install (createNamespaces)
            }
            expected.addAll(documents(f));
        }
        assertEquals(expected.stream().map(HelmChartsTest::key).collect(Collectors.toCollection(TreeSet::new)),
                new TreeSet<>(byKey.keySet()), "exactly the manifests' objects");
        for (Map<String, Object> m : expected) {
            List<String> missing = new ArrayList<>();
            contained("", m, byKey.get(key(m)), missing);
            assertEquals(List.of(), missing, key(m) + ": fields of the manifest not rendered as written");
        }
        // every CRD file, whatever is there: new CRDs are installed without a chart edit
        Set<String> crds = new TreeSet<>();
        for (Path f : Manifests.files(Manifests.DIR.resolve("crd"))) {
            documents(f).forEach(d -> crds.add(name(d)));
        }
        assertTrue(crds.contains("meshclusters.meshfed.io"), crds.toString());
        for (String crd : crds) {
            Map<String, Object> r = byKey.get("apiextensions.k8s.io/v1/CustomResourceDefinition//" + crd);
            assertEquals("keep", get(r, "metadata.annotations.helm\\.sh/resource-policy"), crd + " kept on uninstall");
        }
        for (Map<String, Object> svc : knativeServices(rendered)) {
            Map<String, Object> c = container(svc);
            assertSecure(name(svc), c);
            assertTrue(mounts(c).contains("/tmp"), name(svc) + " writes /tmp only, on an emptyDir");
            assertTrue(((List<?>) get(svc, "spec.template.spec.volumes")).stream()
                    .anyMatch(v -> "tmp".equals(((Map<?, ?>) v).get("name")) && ((Map<?, ?>) v).containsKey("emptyDir")));
            assertTrue(((String) c.get("image")).matches("meshfed/[a-z-]+:0\\.1\\.0-SNAPSHOT"), c.get("image").toString());
            assertTrue(get(c, "resources.limits.memory") != null, name(svc) + " has a memory limit");
        }
        Map<String, Object> bridge = byKey.get("serving.knative.dev/v1/Service/meshfed/meshfed-xds-bridge");
        assertEquals("2", get(bridge, "spec.template.metadata.annotations.autoscaling\\.knative\\.dev/min-scale"));
        assertEquals("2", get(bridge, "spec.template.metadata.annotations.autoscaling\\.knative\\.dev/max-scale"));
        assertTrue(rendered.stream().noneMatch(d -> "PingSource".equals(d.get("kind"))), "no cluster, no sync");
        assertDryRunAccepts(rendered, "management-defaults");
    }

    @Test
    void managementWithOtherValues() throws IOException {
        List<Map<String, Object>> rendered = template(MANAGEMENT,
                List.of("-f", values("mgmt.yaml", OTHER_MANAGEMENT_VALUES)));
        Map<String, Map<String, Object>> byKey = byKey(rendered);
        // namespaces: the PKI's objects in mf-keys, the rest in mf-apps, and no trace of the defaults anywhere
        Map<String, String> renamed = Map.of("meshfed", "mf-apps", "meshfed-pki", "mf-keys");
        Set<String> expected = new TreeSet<>();
        for (Path f : Manifests.files(Manifests.DIR)) {
            if (!f.endsWith("export-sync-pingsource.yaml")) {
                for (Map<String, Object> d : documents(f)) {
                    String ns = (String) get(d, "metadata.namespace");
                    String name = "Namespace".equals(d.get("kind")) ? renamed.get(name(d)) : name(d);
                    expected.add(d.get("apiVersion") + "/" + d.get("kind") + "/"
                            + (ns == null ? "" : renamed.get(ns)) + "/" + name);
                }
            }
        }
        expected.add("sources.knative.dev/v1/PingSource/mf-apps/meshfed-export-sync-east");
        expected.add("sources.knative.dev/v1/PingSource/mf-apps/meshfed-export-sync-west");
        assertEquals(expected, new TreeSet<>(byKey.keySet()));
        assertTrue(byKey.containsKey("rbac.authorization.k8s.io/v1/Role/mf-keys/meshfed-pki"), "the CA's Role");
        for (Map<String, Object> d : rendered) {
            List<String> traces = new ArrayList<>();
            defaultNamespaceTraces("", d, traces);
            assertEquals(List.of(), traces, key(d) + " still names a default namespace");
        }
        assertEquals(Set.of("mf-apps", "mf-keys"), rendered.stream().filter(d -> "Namespace".equals(d.get("kind")))
                .map(HelmChartsTest::name).collect(Collectors.toSet()));
        Map<String, Object> entry = byKey.get("serving.knative.dev/v1/Service/mf-apps/meshfed-workload-events");
        assertEquals("https://broker-ingress.knative-eventing.svc.cluster.local/mf-apps/meshfed",
                env(container(entry)).get("MESHFED_BROKER_URL"));
        assertTrue(Objects.toString(get(entry, "spec.template.spec.volumes")).contains(
                "audience=eventing.knative.dev/broker/mf-apps/meshfed"), "the Broker's audience in its namespace");
        assertEquals("mf-keys", env(container(byKey.get("serving.knative.dev/v1/Service/mf-apps/meshfed-pki")))
                .get("MESHFED_PKI_NAMESPACE"));
        Map<String, Object> operatorPolicy = byKey.get("eventing.knative.dev/v1alpha1/EventPolicy/mf-apps/meshfed-operator");
        assertEquals("system:serviceaccount:mf-apps:meshfed-operator", get(operatorPolicy, "spec.from.0.sub"));
        assertEquals("meshfed", get(operatorPolicy, "spec.to.0.ref.name"), "the Broker keeps its name");
        assertEquals("mf-apps", get(byKey.get("rbac.authorization.k8s.io/v1/RoleBinding/mf-keys/meshfed-pki"),
                "subjects.0.namespace"));
        // images, pull policy and secrets, scale, resources, security contexts, env
        for (Map<String, Object> svc : knativeServices(rendered)) {
            Map<String, Object> c = container(svc);
            assertTrue(((String) c.get("image")).matches("reg\\.example/team/[a-z-]+:9\\.9\\.9"), c.get("image").toString());
            assertEquals("Always", c.get("imagePullPolicy"));
            assertEquals(List.of(Map.of("name", "regcred")), get(svc, "spec.template.spec.imagePullSecrets"));
            assertSecure(name(svc), c);
        }
        Map<String, Object> bridge = byKey.get("serving.knative.dev/v1/Service/mf-apps/meshfed-xds-bridge");
        assertEquals("reg.example/team/xds-bridge:9.9.9", container(bridge).get("image"));
        assertEquals("3", get(bridge, "spec.template.metadata.annotations.autoscaling\\.knative\\.dev/min-scale"));
        assertEquals("3", get(bridge, "spec.template.metadata.annotations.autoscaling\\.knative\\.dev/max-scale"));
        Map<String, Object> export = byKey.get("serving.knative.dev/v1/Service/mf-apps/meshfed-export");
        assertEquals("1", get(export, "spec.template.metadata.annotations.autoscaling\\.knative\\.dev/min-scale"));
        assertEquals("5", get(export, "spec.template.metadata.annotations.autoscaling\\.knative\\.dev/max-scale"));
        assertEquals(2, get(export, "spec.template.spec.containerConcurrency"));
        assertEquals("300Mi", get(container(export), "resources.requests.memory"));
        assertEquals("600Mi", get(container(export), "resources.limits.memory"));
        Map<String, Object> pki = container(byKey.get("serving.knative.dev/v1/Service/mf-apps/meshfed-pki"));
        assertEquals(10001, get(pki, "securityContext.runAsUser"));
        Map<String, String> regEnv = env(container(byKey.get("serving.knative.dev/v1/Service/mf-apps/meshfed-registration")));
        assertEquals("on", regEnv.get("MESHFED_EXTRA"));
        assertEquals("set-by-values", regEnv.get("MESHFED_NAMESPACE"), "a component's env wins");
        Map<String, Object> grpc = byKey.get("v1/Service/mf-apps/meshfed-xds-bridge-grpc");
        assertEquals("LoadBalancer", get(grpc, "spec.type"));
        assertEquals("true", get(grpc, "metadata.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-internal"));
        assertEquals(List.of("203.0.113.0/24"), get(grpc, "spec.loadBalancerSourceRanges"));
        // one periodic sync per cluster
        for (String c : List.of("east", "west")) {
            Map<String, Object> ping = byKey.get("sources.knative.dev/v1/PingSource/mf-apps/meshfed-export-sync-" + c);
            assertEquals("{\"cluster\":\"" + c + "\"}", get(ping, "spec.data"));
            assertEquals("*/5 * * * *", get(ping, "spec.schedule"));
            assertEquals("meshfed", get(ping, "spec.sink.ref.name"));
        }
        assertEquals("keep", get(byKey.get("v1/Namespace//mf-keys"), "metadata.annotations.helm\\.sh/resource-policy"),
                "the CA's namespace survives an uninstall");
        assertDryRunAccepts(rendered, "management-other");
    }

    /**
     * The dashboard and the alert rules ship as files/ has them (observability/ checks those files against
     * docs/observability.md): a ConfigMap for Grafana's sidecar and a PrometheusRule, each only when asked for.
     */
    @Test
    @SuppressWarnings("unchecked")
    void monitoringRendersTheDashboardAndTheRulesAsShipped() throws IOException {
        List<Map<String, Object>> rendered = template(MANAGEMENT, List.of("--set",
                "monitoring.grafanaDashboard.enabled=true", "--set", "monitoring.prometheusRule.enabled=true", "--set",
                "monitoring.prometheusRule.labels.release=kube-prometheus-stack", "--set",
                "monitoring.grafanaDashboard.namespace=grafana"));
        Map<String, Map<String, Object>> byKey = byKey(rendered);
        Path files = MANAGEMENT.resolve("files");
        Map<String, Object> dashboard = byKey.get("v1/ConfigMap/grafana/meshfed-grafana-dashboard");
        assertEquals(Files.readString(files.resolve("grafana-dashboard.json")).strip(),
                get(dashboard, "data.meshfed\\.json"), "the dashboard, byte for byte");
        assertEquals("1", get(dashboard, "metadata.labels.grafana_dashboard"), "what Grafana's sidecar looks for");
        Map<String, Object> rule = byKey.get("monitoring.coreos.com/v1/PrometheusRule/meshfed/meshfed");
        assertEquals(new Yaml().load(Files.readString(files.resolve("prometheus-rules.yaml"))), rule.get("spec"),
                "the rule file's groups, as they are");
        assertEquals("kube-prometheus-stack", get(rule, "metadata.labels.release"));
        Run lint = run(helm, List.of("lint", "--strict", MANAGEMENT.toString(), "--set",
                "monitoring.grafanaDashboard.enabled=true", "--set", "monitoring.prometheusRule.enabled=true"));
        assertEquals(0, lint.exit(), lint.output());
        // the whole rendering, the PrometheusRule against the operator's real CRD, and its groups as Prometheus
        // loads them
        assertDryRunAccepts(rendered, "monitoring");
        Run loads = prometheusLoads(rule, "monitoring");
        assertEquals(0, loads.exit(), loads.output());
        List<Map<String, Object>> defaults = template(MANAGEMENT, List.of());
        assertTrue(defaults.stream().noneMatch(d -> "PrometheusRule".equals(d.get("kind"))
                || name(d).equals("meshfed-grafana-dashboard")), "off unless asked for");
    }

    /**
     * The real CRD refuses what the Prometheus Operator would not read: a misspelt field, a field a rule does not
     * have, a duration Prometheus cannot parse, rules outside a group. It does not parse PromQL (an expression is an
     * int-or-string to the API server; the operator's admission webhook, not run here, would): Prometheus' own rule
     * loader, in observability/'s check, refuses a broken expression the server accepts.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theRealCrdRefusesABrokenRule() throws IOException {
        List<Map<String, Object>> rendered = template(MANAGEMENT, List.of("--set", "monitoring.prometheusRule.enabled=true"));
        Map<String, Object> rule = rendered.stream().filter(d -> "PrometheusRule".equals(d.get("kind"))).findFirst()
                .orElseThrow();
        assertDryRunAccepts(List.of(rule), "rule-as-rendered");
        Map<String, Object> misspelt = copy(rule);
        Map<String, Object> first = (Map<String, Object>) get(misspelt, "spec.groups.0.rules.0");
        first.put("exp", first.remove("expr"));
        assertDryRunRefuses(misspelt, "rule-misspelt", "unknown field \"spec.groups[0].rules[0].exp\"");
        Map<String, Object> extra = copy(rule);
        ((Map<String, Object>) get(extra, "spec.groups.0.rules.0")).put("severity", "critical");
        assertDryRunRefuses(extra, "rule-extra-field", "unknown field \"spec.groups[0].rules[0].severity\"");
        Map<String, Object> badFor = copy(rule);
        ((Map<String, Object>) get(badFor, "spec.groups.0.rules.0")).put("for", "15 minutes");
        assertDryRunRefuses(badFor, "rule-bad-for", "spec.groups[0].rules[0].for");
        Map<String, Object> noGroups = copy(rule);
        Map<String, Object> spec = (Map<String, Object>) noGroups.get("spec");
        spec.put("rules", spec.remove("groups"));
        assertDryRunRefuses(noGroups, "rule-no-groups", "unknown field \"spec.rules\"");
        Map<String, Object> badExpr = copy(rule);
        Map<String, Object> broken = (Map<String, Object>) get(badExpr, "spec.groups.0.rules.0");
        broken.put("expr", ((String) broken.get("expr")).replaceFirst("\\)", ""));
        assertDryRunAccepts(List.of(badExpr), "rule-bad-expr");
        Run loads = prometheusLoads(badExpr, "rule-bad-expr");
        assertNotEquals(0, loads.exit(), loads.output());
        assertTrue(loads.output().contains("could not parse expression"), loads.output());
    }

    @Test
    void aManifestsSecurityContextWinsOverTheDefaultsAndAComponentsOverBoth() throws IOException {
        List<Map<String, Object>> rendered = template(MANAGEMENT, List.of("--set",
                "containerSecurityContext.runAsNonRoot=false", "--set", "containerSecurityContext.runAsUser=1000",
                "--set", "components.export.containerSecurityContext.runAsUser=2000"));
        Map<String, Map<String, Object>> byKey = byKey(rendered);
        Map<String, Object> entry = container(byKey.get("serving.knative.dev/v1/Service/meshfed/meshfed-workload-events"));
        assertEquals(true, get(entry, "securityContext.runAsNonRoot"), "its manifest says runAsNonRoot: true");
        assertEquals(1000, get(entry, "securityContext.runAsUser"), "the default, where the manifest says nothing");
        Map<String, Object> export = container(byKey.get("serving.knative.dev/v1/Service/meshfed/meshfed-export"));
        assertEquals(false, get(export, "securityContext.runAsNonRoot"), "no manifest setting: the default");
        assertEquals(2000, get(export, "securityContext.runAsUser"), "the component's own");
    }

    // ---- the workload chart

    @Test
    void workloadDefaultsRenderTheWorkloadManifestsWithEveryField() throws IOException {
        List<Map<String, Object>> rendered = template(WORKLOAD, WORKLOAD_REQUIRED);
        Map<String, Map<String, Object>> byKey = byKey(rendered);
        List<Map<String, Object>> expected = new ArrayList<>();
        for (Path f : Manifests.files(WORKLOAD_DIR)) {
            if (!f.endsWith("export-watch.yaml")) { // needs Knative Eventing in the cluster: exportWatch.enabled
                documents(f).stream().filter(d -> !"Namespace".equals(d.get("kind"))).forEach(expected::add);
            }
        }
        Set<String> keys = expected.stream().map(HelmChartsTest::key).collect(Collectors.toCollection(TreeSet::new));
        keys.add("v1/ConfigMap/istio-system/meshfed-istiod");
        assertEquals(keys, new TreeSet<>(byKey.keySet()));
        for (Map<String, Object> m : expected) {
            List<String> missing = new ArrayList<>();
            Map<String, Object> r = byKey.get(key(m));
            contained("", withoutEnv(m), r, missing);
            assertEquals(List.of(), missing, key(m) + ": fields of the manifest not rendered as written");
        }
        Map<String, Object> agent = byKey.get("apps/v1/Deployment/istio-system/meshfed-csr-agent");
        Map<String, Object> c = container(agent);
        assertSecure("csr-agent", c);
        assertEquals(1, get(agent, "spec.replicas"));
        assertEquals(true, get(agent, "spec.template.spec.securityContext.runAsNonRoot"));
        assertEquals("registry.example.com/meshfed/csr-agent:0.1.0", c.get("image"));
        Map<String, String> env = env(c);
        assertEquals("east", env.get("MESHFED_CLUSTER"));
        assertEquals("east.meshfed.example", env.get("MESHFED_TRUST_DOMAIN"));
        assertEquals("https://meshfed-pki.meshfed.example.org", env.get("MESHFED_PKI_URL"));
        assertEquals("/var/run/secrets/meshfed/pki/token", env.get("MESHFED_TOKEN_FILE"));
        Map<String, Object> istiod = byKey.get("v1/ConfigMap/istio-system/meshfed-istiod");
        Map<String, Object> values = yaml((String) get(istiod, "data.istiod-values\\.yaml")).get(0);
        assertEquals(List.of(Map.of("address", "xds://127.0.0.1:15011"), Map.of("address", "k8s://")),
                get(values, "meshConfig.configSources"));
        assertEquals("false", get(values, "pilot.env.PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN"));
        Map<String, Object> patch = yaml((String) get(istiod, "data.xds-relay-patch\\.yaml")).get(0);
        Map<String, Object> relay = container(patch);
        assertSecure("xds-relay", relay);
        Map<String, String> relayEnv = env(relay);
        assertEquals("xds.meshfed.example:15010", relayEnv.get("MESHFED_BRIDGE_ADDRESS"));
        assertEquals("xds.meshfed.example", relayEnv.get("MESHFED_BRIDGE_SERVER_NAME"));
        assertEquals("/etc/meshfed/xds-client/tls.crt", relayEnv.get("MESHFED_RELAY_CERT_FILE"));
        assertEquals("/etc/meshfed/xds-client/ca.crt", relayEnv.get("MESHFED_RELAY_CA_FILE"));
        assertTrue(Objects.toString(get(patch, "spec.template.spec.volumes")).contains("secretName=meshfed-xds-client"),
                "the relay's client certificate is the Secret the CSR agent keeps");
        // metrics and health on the pod's address at a port named for scrape configs; liveness only, since a
        // readiness probe on the relay would make istiod's pod unready whenever the bridge is unreachable
        assertEquals("0.0.0.0:15015", relayEnv.get("MESHFED_RELAY_METRICS_LISTEN"));
        assertEquals(List.of(Map.of("name", "http-metrics", "containerPort", 15015, "protocol", "TCP")),
                relay.get("ports"));
        assertEquals("/q/health/live", get(relay, "livenessProbe.httpGet.path"));
        assertEquals("http-metrics", get(relay, "livenessProbe.httpGet.port"));
        assertEquals(null, relay.get("readinessProbe"), "istiod's readiness is not the bridge's reachability");
        assertEquals(null, get(patch, "spec.template.metadata"), "istiod's own prometheus.io annotations are kept");
        List<Map<String, Object>> applied = new ArrayList<>(rendered);
        applied.add(deploymentOf(patch, "istio-system"));
        assertDryRunAccepts(applied, "workload-defaults");
    }

    @Test
    void workloadWithOtherValues() throws IOException {
        List<Map<String, Object>> rendered = template(WORKLOAD, List.of("-f", values("wl.yaml", OTHER_WORKLOAD_VALUES)));
        Map<String, Map<String, Object>> byKey = byKey(rendered);
        assertTrue(byKey.containsKey("v1/Namespace//mf-system"), byKey.keySet().toString());
        assertEquals("mf-system", get(byKey.get("v1/ServiceAccount/mf-system/meshfed-export-reader"), "metadata.namespace"));
        assertEquals("mf-system", get(byKey.get(
                "rbac.authorization.k8s.io/v1/ClusterRoleBinding//meshfed-export-reader"), "subjects.0.namespace"));
        Map<String, Object> agent = byKey.get("apps/v1/Deployment/istio-system/meshfed-csr-agent");
        assertEquals(2, get(agent, "spec.replicas"));
        assertEquals(10002, get(agent, "spec.template.spec.securityContext.runAsUser"));
        assertEquals(true, get(agent, "spec.template.spec.securityContext.runAsNonRoot"));
        Map<String, Object> c = container(agent);
        assertEquals("reg.example/team/csr-agent:9.9.9", c.get("image"));
        assertEquals("100Mi", get(c, "resources.requests.memory"));
        assertEquals("west", env(c).get("MESHFED_CLUSTER"));
        assertSecure("csr-agent", c);
        Map<String, Object> watch = byKey.get("sources.knative.dev/v1/ApiServerSource/mf-system/meshfed-export-watch");
        assertEquals("west", get(watch, "spec.ceOverrides.extensions.meshfedcluster"));
        assertEquals("https://workload-events.example.org", get(watch, "spec.sink.uri"));
        assertEquals("meshfed-workload-events", get(watch, "spec.sink.audience"));
        Map<String, Object> istiod = byKey.get("v1/ConfigMap/istio-system/meshfed-istiod");
        assertEquals(List.of(Map.of("address", "xds://127.0.3.1:15011"), Map.of("address", "xds://127.0.3.2:15011"),
                Map.of("address", "xds://127.0.3.3:15011"), Map.of("address", "k8s://")),
                get(yaml((String) get(istiod, "data.istiod-values\\.yaml")).get(0), "meshConfig.configSources"));
        Map<String, Object> patch = yaml((String) get(istiod, "data.xds-relay-patch\\.yaml")).get(0);
        Map<String, String> relayEnv = env(container(patch));
        assertEquals("3", relayEnv.get("MESHFED_RELAY_SHARDS"));
        assertEquals("bridge.xds.example.org", relayEnv.get("MESHFED_BRIDGE_SERVER_NAME"));
        assertEquals("reg.example/team/xds-relay:9.9.9", container(patch).get("image"));
        assertEquals("0.0.0.0:9102", relayEnv.get("MESHFED_RELAY_METRICS_LISTEN"));
        assertEquals(9102, get(container(patch), "ports.0.containerPort"));
        List<String> takenPort = new ArrayList<>(List.of("template", "meshfed", WORKLOAD.toString()));
        takenPort.addAll(WORKLOAD_REQUIRED);
        takenPort.addAll(List.of("--set", "istiod.relay.metricsPort=15014"));
        Run refused = run(helm, takenPort);
        assertEquals(1, refused.exit(), "istiod's own monitoring port is refused: " + refused.output());
        assertTrue(refused.output().contains("metricsPort"), refused.output());
        List<Map<String, Object>> applied = new ArrayList<>(rendered);
        applied.add(deploymentOf(patch, "istio-system"));
        assertDryRunAccepts(applied, "workload-other");
    }

    /**
     * The relays' series reach a Prometheus through an optional PodMonitor: off by default; on, it scrapes the port
     * the relay patch names in the pods the patch lands in, labels every series with the cluster's registered name,
     * and the operator's real CRD accepts it.
     */
    @Test
    void workloadPodMonitorScrapesTheRelayWhenAskedFor() throws IOException {
        assertTrue(template(WORKLOAD, WORKLOAD_REQUIRED).stream().noneMatch(d -> "PodMonitor".equals(d.get("kind"))),
                "off by default");
        List<Map<String, Object>> rendered = template(WORKLOAD, concat(WORKLOAD_REQUIRED, List.of("--set",
                "istiod.relay.podMonitor.enabled=true", "--set",
                "istiod.relay.podMonitor.labels.release=kube-prometheus-stack", "--set",
                "istiod.relay.podMonitor.interval=30s")));
        Map<String, Map<String, Object>> byKey = byKey(rendered);
        Map<String, Object> monitor = byKey.get("monitoring.coreos.com/v1/PodMonitor/istio-system/meshfed-xds-relay");
        assertEquals("kube-prometheus-stack", get(monitor, "metadata.labels.release"), "what the operator selects");
        assertEquals(List.of("istio-system"), get(monitor, "spec.namespaceSelector.matchNames"));
        Map<String, Object> patch = yaml((String) get(byKey.get("v1/ConfigMap/istio-system/meshfed-istiod"),
                "data.xds-relay-patch\\.yaml")).get(0);
        Map<String, Object> istiod = deploymentOf(patch, "istio-system");
        assertEquals(get(istiod, "spec.template.metadata.labels"), get(monitor, "spec.selector.matchLabels"),
                "istiod's pods, labelled as the istiod chart labels them");
        assertEquals("http-metrics", get(container(patch), "ports.0.name"));
        assertEquals("http-metrics", get(monitor, "spec.podMetricsEndpoints.0.port"), "the relay's port");
        assertEquals(1, ((List<?>) get(monitor, "spec.podMetricsEndpoints")).size(), "not istiod's own metrics");
        assertEquals("/metrics", get(monitor, "spec.podMetricsEndpoints.0.path"));
        assertEquals("30s", get(monitor, "spec.podMetricsEndpoints.0.interval"));
        assertEquals(List.of(Map.of("action", "replace", "targetLabel", "cluster", "replacement", "east")),
                get(monitor, "spec.podMetricsEndpoints.0.relabelings"), "the label the dashboard and alerts group by");
        List<Map<String, Object>> applied = new ArrayList<>(rendered);
        applied.add(istiod);
        assertDryRunAccepts(applied, "workload-podmonitor");
        // in the monitoring stack's namespace, still selecting istiod's
        Map<String, Object> elsewhere = byKey(template(WORKLOAD, concat(WORKLOAD_REQUIRED, List.of("--set",
                "istiod.relay.podMonitor.enabled=true", "--set", "istiod.relay.podMonitor.namespace=monitoring"))))
                .get("monitoring.coreos.com/v1/PodMonitor/monitoring/meshfed-xds-relay");
        assertEquals(List.of("istio-system"), get(elsewhere, "spec.namespaceSelector.matchNames"));
        assertEquals(null, get(elsewhere, "spec.podMetricsEndpoints.0.interval"), "the Prometheus' own interval");
        assertDryRunAccepts(List.of(elsewhere), "workload-podmonitor-elsewhere");
        // without the relay there is nothing to scrape; a duration Prometheus cannot read is refused by the schema
        assertTrue(template(WORKLOAD, concat(WORKLOAD_REQUIRED, List.of("--set", "istiod.enabled=false", "--set",
                "istiod.relay.podMonitor.enabled=true"))).stream().noneMatch(d -> "PodMonitor".equals(d.get("kind"))));
        Run badInterval = run(helm, concat(concat(List.of("template", "x", WORKLOAD.toString()), WORKLOAD_REQUIRED),
                List.of("--set", "istiod.relay.podMonitor.enabled=true", "--set",
                        "istiod.relay.podMonitor.interval=30sec")));
        assertNotEquals(0, badInterval.exit(), badInterval.output());
        assertTrue(badInterval.output().contains("/istiod/relay/podMonitor/interval"), badInterval.output());
    }

    // ---- checks

    private static void assertSecure(String what, Map<String, Object> c) {
        assertEquals(true, get(c, "securityContext.runAsNonRoot"), what);
        assertEquals(true, get(c, "securityContext.readOnlyRootFilesystem"), what);
        assertEquals(false, get(c, "securityContext.allowPrivilegeEscalation"), what);
        assertEquals(List.of("ALL"), get(c, "securityContext.capabilities.drop"), what);
        assertEquals("RuntimeDefault", get(c, "securityContext.seccompProfile.type"), what);
    }

    /** The whole rendering in one {@code kubectl apply --dry-run=server --validate=strict}: every object accepted. */
    private static void assertDryRunAccepts(List<Map<String, Object>> objects, String name) throws IOException {
        Path file = work.resolve(name + ".yaml");
        Files.writeString(file, objects.stream().map(o -> new Yaml().dump(o)).collect(Collectors.joining("---\n")));
        Run r = run(Path.of("kubectl"), List.of("--kubeconfig", api.kubeconfig().toString(), "--cache-dir",
                work.resolve("kube-cache").toString(), "apply", "--dry-run=server", "--validate=strict", "-f",
                file.toString()));
        assertEquals(0, r.exit(), name + ":\n" + r.output());
        long accepted = r.output().lines().filter(l -> l.endsWith("(server dry run)")).count();
        assertEquals(objects.size(), accepted, name + ": one line per object\n" + r.output());
    }

    /** {@code kubectl apply --dry-run=server --validate=strict} of one object fails, saying {@code expected}. */
    private static void assertDryRunRefuses(Map<String, Object> object, String name, String expected) throws IOException {
        Path file = work.resolve(name + ".yaml");
        Files.writeString(file, new Yaml().dump(object));
        Run r = run(Path.of("kubectl"), List.of("--kubeconfig", api.kubeconfig().toString(), "--cache-dir",
                work.resolve("kube-cache").toString(), "apply", "--dry-run=server", "--validate=strict", "-f",
                file.toString()));
        assertNotEquals(0, r.exit(), name + " accepted:\n" + r.output());
        assertTrue(r.output().contains(expected), name + ": expected \"" + expected + "\" in\n" + r.output());
    }

    /**
     * A PrometheusRule's groups loaded as Prometheus loads a rule file, expressions and annotation templates parsed,
     * every series one docs/observability.md lists: observability/'s Go check ({@code go test}, compiled on first use)
     * over them instead of the chart's file.
     */
    private static Run prometheusLoads(Map<String, Object> rule, String name) throws IOException {
        Path file = work.resolve(name + "-groups.yaml");
        Files.writeString(file, new Yaml().dump(Map.of("groups", get(rule, "spec.groups"))));
        return Helm.run(work, Path.of("go"), List.of("-C", Manifests.ROOT.resolve("observability").toString(), "test",
                "-count=1", "-mod=readonly", "-run", "TestAlertRulesLoadAndReadOnlyDocumentedSeries", ".", "-args",
                "-root=" + Manifests.ROOT, "-rules=" + file), 900);
    }

    /** A deep copy, to break without touching the original. */
    private static Map<String, Object> copy(Map<String, Object> m) {
        return yaml(new Yaml().dump(m)).get(0);
    }

    /**
     * Adds to {@code missing} every field of {@code manifest} that {@code rendered} does not hold with the same value:
     * maps by key, lists element by element (the chart may append, e.g. a /tmp mount), scalars by equality.
     */
    @SuppressWarnings("unchecked")
    private static void contained(String path, Object manifest, Object rendered, List<String> missing) {
        if (manifest instanceof Map<?, ?> m) {
            if (!(rendered instanceof Map<?, ?> r)) {
                missing.add(path + " (not a map: " + rendered + ")");
                return;
            }
            for (var e : ((Map<String, Object>) m).entrySet()) {
                contained(path + "." + e.getKey(), e.getValue(), r.get(e.getKey()), missing);
            }
        } else if (manifest instanceof List<?> l) {
            if (!(rendered instanceof List<?> r) || r.size() < l.size()) {
                missing.add(path + " (" + rendered + ")");
                return;
            }
            for (int i = 0; i < l.size(); i++) {
                contained(path + "[" + i + "]", l.get(i), r.get(i), missing);
            }
        } else if (!Objects.equals(manifest, rendered)) {
            missing.add(path + ": " + manifest + " rendered as " + rendered);
        }
    }

    private static final Pattern DEFAULT_NAMESPACE_REFERENCE = Pattern.compile(
            "system:serviceaccount:meshfed(-pki)?:|/namespaces/meshfed(-pki)?/|\\.meshfed(-pki)?\\.svc\\b"
                    + "|(broker|svc\\.cluster\\.local)/meshfed(-pki)?/");

    /** Every string under {@code o} that names meshfed or meshfed-pki as a namespace. */
    private static void defaultNamespaceTraces(String path, Object o, List<String> out) {
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                if (("namespace".equals(k) || "value".equals(k)) && ("meshfed".equals(v) || "meshfed-pki".equals(v))) {
                    out.add(path + "." + k + ": " + v);
                }
                defaultNamespaceTraces(path + "." + k, v, out);
            });
        } else if (o instanceof List<?> l) {
            for (Object x : l) {
                defaultNamespaceTraces(path + "[]", x, out);
            }
        } else if (o instanceof String s && DEFAULT_NAMESPACE_REFERENCE.matcher(s).find()) {
            out.add(path + ": " + s);
        }
    }

    // ---- helm, kubectl and YAML

    private static Run run(Path program, List<String> args) throws IOException {
        return Helm.run(work, program, args);
    }

    private static List<Map<String, Object>> template(Path chart, List<String> args) throws IOException {
        List<Map<String, Object>> docs = Helm.template(work, helm, chart, args);
        assertTrue(docs.size() > 5, "rendered:\n" + docs);
        return docs;
    }

    private static String values(String name, String yaml) throws IOException {
        return Files.writeString(work.resolve(name), yaml).toString();
    }

    private static List<Map<String, Object>> yaml(String text) {
        return Helm.yaml(text);
    }

    private static List<Map<String, Object>> documents(Path file) {
        return yaml(Manifests.read(file));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** apiVersion/kind/namespace/name. */
    private static String key(Map<String, Object> d) {
        return d.get("apiVersion") + "/" + d.get("kind") + "/" + Objects.toString(get(d, "metadata.namespace"), "") + "/"
                + name(d);
    }

    private static String name(Map<String, Object> d) {
        return (String) get(d, "metadata.name");
    }

    private static Map<String, Map<String, Object>> byKey(List<Map<String, Object>> docs) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Map<String, Object> d : docs) {
            assertEquals(null, out.put(key(d), d), "rendered twice: " + key(d));
        }
        return out;
    }

    private static List<Map<String, Object>> knativeServices(List<Map<String, Object>> docs) {
        List<Map<String, Object>> out = docs.stream().filter(d -> "serving.knative.dev/v1".equals(d.get("apiVersion"))
                && "Service".equals(d.get("kind"))).toList();
        assertTrue(out.stream().map(HelmChartsTest::name).collect(Collectors.toSet()).containsAll(Set.of(
                "meshfed-registration", "meshfed-export", "meshfed-pki", "meshfed-workload-events", "meshfed-xds-bridge")),
                "every Knative Service of manifests/serving/");
        return out;
    }

    /** The first container of a Knative Service, a Deployment or a pod-template patch. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> container(Map<String, Object> d) {
        return (Map<String, Object>) ((List<?>) get(d, "spec.template.spec.containers")).get(0);
    }

    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Object o : (List<?>) container.getOrDefault("env", List.of())) {
            Map<?, ?> e = (Map<?, ?>) o;
            out.put((String) e.get("name"), (String) e.get("value"));
        }
        return out;
    }

    private static Set<String> mounts(Map<String, Object> container) {
        return ((List<?>) container.getOrDefault("volumeMounts", List.of())).stream()
                .map(m -> (String) ((Map<?, ?>) m).get("mountPath")).collect(Collectors.toSet());
    }

    /** The manifest without its containers' env (the workload chart sets the per-cluster values there). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutEnv(Map<String, Object> m) {
        if (!"Deployment".equals(m.get("kind"))) {
            return m;
        }
        Map<String, Object> copy = yaml(new Yaml().dump(m)).get(0);
        for (Object c : (List<?>) get(copy, "spec.template.spec.containers")) {
            ((Map<String, Object>) c).remove("env");
        }
        return copy;
    }

    /** A Deployment whose pod spec is the relay patch's, so the server validates the patch's fields. */
    private static Map<String, Object> deploymentOf(Map<String, Object> patch, String namespace) {
        Map<String, Object> podSpec = yaml(new Yaml().dump(get(patch, "spec.template.spec"))).get(0);
        return Map.of("apiVersion", "apps/v1", "kind", "Deployment",
                "metadata", Map.of("name", "istiod-relay-check", "namespace", namespace),
                "spec", Map.of("selector", Map.of("matchLabels", Map.of("app", "istiod")),
                        "template", Map.of("metadata", Map.of("labels", Map.of("app", "istiod")), "spec", podSpec)));
    }

    /**
     * The value at a dotted path ({@code \.} for a dot inside a key, a number for a list index); null when absent.
     */
    static Object get(Object root, String path) {
        Object o = root;
        for (String part : path.split("(?<!\\\\)\\.")) {
            String k = part.replace("\\.", ".");
            if (o instanceof Map<?, ?> m) {
                o = m.get(k);
            } else if (o instanceof List<?> l && k.matches("\\d+")) {
                int i = Integer.parseInt(k);
                o = i < l.size() ? l.get(i) : null;
            } else {
                return null;
            }
        }
        return o;
    }
}
