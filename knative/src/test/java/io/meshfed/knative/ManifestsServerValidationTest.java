package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every YAML file meshfed ships for a cluster is accepted by a real kube-apiserver's server-side validation, with
 * the Knative Serving and Eventing CRDs (the releases test-peers/knative/ pins), the Istio and MCS CRDs and meshfed's
 * own CRD installed: {@code kubectl apply --dry-run=server --validate=strict} per file, as an operator would run it.
 * The CRDs' OpenAPI schemas are what the server checks against (no Knative webhook runs), so a field of the wrong
 * type, or an unknown field where the schema does not preserve unknown fields, is refused.
 *
 * <p>Needs the peers of {@code test-peers/build.sh} and {@code kubectl} on PATH ({@code .ci/run} installs it).
 */
@ExtendWith(PeerLogsOnFailure.class)
class ManifestsServerValidationTest {
    /** The directories of knative/ whose YAML is applied to some cluster: management and workload. */
    private static final List<String> DIRS = List.of("manifests", "workload", "istio");

    /**
     * YAML under {@link #DIRS} that is not a Kubernetes object, so kubectl cannot apply it; each with the reason.
     * The test checks that each really has no apiVersion/kind, so this list cannot hide a manifest.
     */
    private static final Map<String, String> NOT_KUBERNETES_OBJECTS = Map.of(
            "istio/istiod-config-sources.yaml",
            "Helm values (meshConfig.configSources) for each workload cluster's istiod chart, not an object");

    private static final Pattern TOP_LEVEL_KIND = Pattern.compile("(?m)^kind:\\s*\\S+");
    private static final Pattern TOP_LEVEL_API_VERSION = Pattern.compile("(?m)^apiVersion:\\s*\\S+");

    /** kubectl's discovery cache (keyed by host:port: a fresh one cannot show another run's CRDs) and its output. */
    @TempDir
    static Path kubectlDir;

    private static Etcd etcd;
    private static KubeApiServer api;
    private static Path kubeconfig;

    @BeforeAll
    static void startApiServerWithCrds() throws IOException {
        Peers peers = Peers.get();
        etcd = Etcd.start();
        api = KubeApiServer.start("manifests", etcd);
        api.apply(peers.file("knative.serving.crds"));
        api.apply(peers.file("knative.eventing.crds"));
        api.apply(peers.istio().crds());
        api.apply(peers.file("mcs.crds"));
        // meshfed's own CRD is installed too (an object of its kind may be shipped); its file is then validated
        // below as an update of the installed CRD.
        api.apply(Manifests.DIR.resolve("crd/meshcluster.yaml"));
        // A dry run admits nothing, so the namespaces a file creates itself (meshfed, meshfed-system) must exist for
        // the other objects of that file; namespace.yaml is then validated as an update of an existing Namespace.
        for (String ns : namespacesNamed()) {
            api.admin().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata()
                    .build()).serverSideApply();
        }
        kubeconfig = api.kubeconfig();
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

    @Test
    void everyShippedManifestIsAcceptedByServerSideValidation() {
        List<Path> files = shippedYaml();
        List<String> relative = files.stream().map(f -> Manifests.MODULE.relativize(f).toString()).toList();
        assertTrue(relative.containsAll(NOT_KUBERNETES_OBJECTS.keySet()),
                "every listed exception exists: " + NOT_KUBERNETES_OBJECTS.keySet() + " in " + relative);
        List<String> failures = new ArrayList<>();
        int validated = 0;
        for (Path f : files) {
            String name = Manifests.MODULE.relativize(f).toString();
            String text = Manifests.read(f);
            boolean object = TOP_LEVEL_KIND.matcher(text).find() && TOP_LEVEL_API_VERSION.matcher(text).find();
            if (NOT_KUBERNETES_OBJECTS.containsKey(name)) {
                assertFalse(TOP_LEVEL_KIND.matcher(text).find() || TOP_LEVEL_API_VERSION.matcher(text).find(),
                        name + " is listed as not a Kubernetes object (" + NOT_KUBERNETES_OBJECTS.get(name)
                                + ") but has a top-level apiVersion or kind");
                continue;
            }
            assertTrue(object, name + " has no top-level apiVersion and kind: a manifest, or an exception to list");
            Kubectl result = dryRun(f);
            validated++;
            if (result.exit() != 0 || !result.output().contains("(server dry run)")) {
                failures.add(name + " (exit " + result.exit() + "):\n" + result.output());
            }
        }
        assertEquals(List.of(), failures, "manifests refused by the API server's validation");
        assertTrue(validated >= 39, "expected the whole install (triggers, services, RBAC, CRD, workload), validated "
                + validated + " files");
    }

    @Test
    void aTriggerWithAnUnknownFieldIsRefused(@TempDir Path dir) throws IOException {
        // "atributes": a typo under spec.filter, whose schema names its fields (attributes itself preserves any key)
        Kubectl result = dryRun(write(dir, "typo.yaml", trigger("""
                  filter:
                    atributes:
                      type: io.meshfed.cluster.registered
                """)));
        assertNotEquals(0, result.exit(), "a misspelt Trigger field must fail the check:\n" + result.output());
        assertTrue(result.output().contains("unknown field \"spec.filter.atributes\""), result.output());
    }

    @Test
    void aTriggerWithAFieldOfTheWrongTypeIsRefused(@TempDir Path dir) throws IOException {
        Kubectl result = dryRun(write(dir, "wrong-type.yaml", trigger("""
                  filter:
                    attributes:
                      type: io.meshfed.cluster.registered
                  delivery:
                    retry: five
                """)));
        assertNotEquals(0, result.exit(), "a Trigger with retry: five must fail the check:\n" + result.output());
        assertTrue(result.output().contains("spec.delivery.retry in body must be of type integer"), result.output());
    }

    @Test
    void aKnativeServiceWithAMisspeltRevisionFieldIsRefused(@TempDir Path dir) throws IOException {
        Kubectl result = dryRun(write(dir, "service-typo.yaml", """
                apiVersion: serving.knative.dev/v1
                kind: Service
                metadata:
                  name: meshfed-broken
                  namespace: meshfed
                spec:
                  template:
                    spec:
                      containerConcurency: 4
                      containers:
                        - image: meshfed/export:0.1.0-SNAPSHOT
                """));
        assertNotEquals(0, result.exit(), "a misspelt Revision field must fail the check:\n" + result.output());
        assertTrue(result.output().contains("unknown field \"spec.template.spec.containerConcurency\""),
                result.output());
    }

    @Test
    void anEventPolicyWithAMisspeltFilterIsRefused(@TempDir Path dir) throws IOException {
        // "exatc": a typo of a filter dialect; a policy that silently lost its filter would admit every type.
        Kubectl result = dryRun(write(dir, "policy-typo.yaml", eventPolicy("""
                  from:
                    - sub: system:serviceaccount:meshfed:meshfed-operator
                  filters:
                    - exatc:
                        type: io.meshfed.cluster.registration.requested
                """)));
        assertNotEquals(0, result.exit(), "a misspelt EventPolicy filter must fail the check:\n" + result.output());
        assertTrue(result.output().contains("unknown field \"spec.filters[0].exatc\""), result.output());
    }

    @Test
    void anEventPolicyWithAMisplacedSenderIsRefused(@TempDir Path dir) throws IOException {
        // A list where the subject string belongs: the sender would not be what the policy seems to say.
        Kubectl result = dryRun(write(dir, "policy-wrong-type.yaml", eventPolicy("""
                  from:
                    - sub:
                        - system:serviceaccount:meshfed:meshfed-operator
                """)));
        assertNotEquals(0, result.exit(), "a list as sub must fail the check:\n" + result.output());
        assertTrue(result.output().contains("spec.from[0].sub in body must be of type string"), result.output());
    }

    @Test
    void anApiServerSourceWithAMisspeltSinkAudienceIsRefused(@TempDir Path dir) throws IOException {
        // "audiance": the source would send tokens without the entry's audience, and every event would be refused.
        Kubectl result = dryRun(write(dir, "source-typo.yaml", """
                apiVersion: sources.knative.dev/v1
                kind: ApiServerSource
                metadata:
                  name: meshfed-broken
                  namespace: meshfed-system
                spec:
                  mode: Resource
                  serviceAccountName: meshfed-export-watch
                  resources:
                    - apiVersion: v1
                      kind: Service
                  sink:
                    uri: https://meshfed-workload-events.meshfed.example.org
                    audiance: meshfed-workload-events
                """));
        assertNotEquals(0, result.exit(), "a misspelt sink field must fail the check:\n" + result.output());
        assertTrue(result.output().contains("unknown field \"spec.sink.audiance\""), result.output());
    }

    private static String eventPolicy(String specAfterTo) {
        return """
                apiVersion: eventing.knative.dev/v1alpha1
                kind: EventPolicy
                metadata:
                  name: meshfed-broken
                  namespace: meshfed
                spec:
                  to:
                    - ref:
                        apiVersion: eventing.knative.dev/v1
                        kind: Broker
                        name: meshfed
                """ + specAfterTo;
    }

    private static String trigger(String specAfterBroker) {
        return """
                apiVersion: eventing.knative.dev/v1
                kind: Trigger
                metadata:
                  name: meshfed-broken
                  namespace: meshfed
                spec:
                  broker: meshfed
                """ + specAfterBroker + """
                  subscriber:
                    ref:
                      apiVersion: serving.knative.dev/v1
                      kind: Service
                      name: meshfed-export
                """;
    }

    private record Kubectl(int exit, String output) {
    }

    /** {@code kubectl apply --dry-run=server} of one file as the cluster admin; exit code and combined output. */
    private static Kubectl dryRun(Path file) {
        List<String> cmd = List.of("kubectl", "--kubeconfig", kubeconfig.toString(),
                "--cache-dir", kubectlDir.resolve("cache").toString(), "apply", "--dry-run=server", "--validate=strict",
                "-f", file.toString());
        try {
            Path out = Files.createTempFile(kubectlDir, "kubectl-", ".out");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("kubectl did not finish within 60 s: " + String.join(" ", cmd));
            }
            return new Kubectl(p.exitValue(), Files.readString(out));
        } catch (IOException e) {
            throw new AssertionError("cannot run kubectl (" + e.getMessage() + "); install it, e.g."
                    + " `apt-get install kubectl` as .ci/run does", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for kubectl", e);
        }
    }

    /** Every .yaml/.yml file under {@link #DIRS}, sorted. */
    private static List<Path> shippedYaml() {
        List<Path> out = new ArrayList<>();
        for (String d : DIRS) {
            try (Stream<Path> s = Files.walk(Manifests.MODULE.resolve(d))) {
                s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out.stream().sorted().toList();
    }

    /** The namespaces the shipped objects live in (read with fabric8's loader: documents, not text). */
    private static Set<String> namespacesNamed() throws IOException {
        Set<String> out = new TreeSet<>();
        for (Path f : shippedYaml()) {
            if (NOT_KUBERNETES_OBJECTS.containsKey(Manifests.MODULE.relativize(f).toString())) {
                continue;
            }
            try (InputStream in = Files.newInputStream(f)) {
                api.admin().load(in).items().stream().filter(Objects::nonNull).map(HasMetadata::getMetadata)
                        .map(m -> m.getNamespace()).filter(Objects::nonNull).forEach(out::add);
            }
        }
        assertTrue(out.contains("meshfed"), "the management namespace is among " + out);
        return out;
    }

    private static Path write(Path dir, String name, String yaml) throws IOException {
        return Files.writeString(dir.resolve(name), yaml);
    }

}
