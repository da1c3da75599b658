package io.meshfed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.VersionInfo;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CaStore;
import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code meshfed check management|workload}: a pre-flight of a cluster, as {@code istioctl x precheck} does for Istio.
 * Each check prints one line, {@code OK}, {@code WARN} or {@code FAIL}, with what it found and, when not OK, what to
 * do. Exit 0 when nothing FAILed (warnings included), 1 when something did, 5 when the API server did not answer.
 * Checks only read (and ask access reviews, which store nothing).
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Pre-flight checks of a management or a workload cluster (one OK/WARN/FAIL line each).",
        subcommands = {CheckCommand.Management.class, CheckCommand.Workload.class})
final class CheckCommand {
    /** The Kubernetes minor versions meshfed supports: 1.MIN_MINOR (what the istiod it runs requires) to 1.MAX_MINOR (tested). */
    static final int MIN_MINOR = 32;
    static final int MAX_MINOR = 36;
    /** The CRD, RBAC and Knative Service manifests this CLI was built with (knative/manifests). */
    static final List<String> CRD_FILES = List.of("accesspolicy.yaml", "meshcluster.yaml", "trafficpolicy.yaml");
    static final List<String> RBAC_FILES = List.of("export.yaml", "operator.yaml", "pki.yaml", "registration.yaml",
            "workload-events.yaml", "xds-bridge.yaml");
    static final List<String> SERVING_FILES = List.of("export.yaml", "pki.yaml", "registration.yaml",
            "workload-events.yaml", "xds-bridge.yaml");
    /** The Broker and the Triggers meshfed ships (knative/manifests/eventing); a test keeps the list whole. */
    static final String BROKER_FILE = "broker.yaml";
    static final List<String> TRIGGER_FILES = List.of("meshfed-export-apiserver-resource-add.yaml",
            "meshfed-export-apiserver-resource-delete.yaml", "meshfed-export-apiserver-resource-update.yaml",
            "meshfed-export-cluster-deregistered.yaml", "meshfed-export-cluster-registered.yaml",
            "meshfed-export-periodic-sync.yaml", "meshfed-export-service-export-sync.yaml",
            "meshfed-pki-csr-submitted.yaml", "meshfed-registration-cluster-deregistration-requested.yaml",
            "meshfed-registration-cluster-registration-requested.yaml", "meshfed-xds-bridge-catalog-changed.yaml",
            "meshfed-xds-bridge-cluster-deregistered.yaml", "meshfed-xds-bridge-cluster-registered.yaml",
            "meshfed-xds-bridge-policy-changed.yaml");
    static final String MANIFESTS = "io/meshfed/cli/manifests/";
    /** cacerts is Istio's plug-in CA Secret; these are the keys istiod reads. */
    static final List<String> CACERTS_KEYS = List.of("ca-cert.pem", "ca-key.pem", "cert-chain.pem", "root-cert.pem");

    enum Level { OK, WARN, FAIL }

    /** One check's outcome. */
    record Result(Level level, String check, String message) {
    }

    /** The results in order; printed together, so a table lines up. */
    static final class Report {
        final List<Result> results = new ArrayList<>();

        void ok(String check, String message) {
            results.add(new Result(Level.OK, check, message));
        }

        void warn(String check, String message) {
            results.add(new Result(Level.WARN, check, message));
        }

        void fail(String check, String message) {
            results.add(new Result(Level.FAIL, check, message));
        }

        boolean failed() {
            return results.stream().anyMatch(r -> r.level() == Level.FAIL);
        }

        int print(Output output, String cluster) {
            if (output.isTable()) {
                int width = results.stream().mapToInt(r -> r.check().length()).max().orElse(0);
                for (Result r : results) {
                    output.out().println(String.format("%-4s  %-" + width + "s  %s", r.level(), r.check(), r.message()));
                }
                long fails = results.stream().filter(r -> r.level() == Level.FAIL).count();
                long warns = results.stream().filter(r -> r.level() == Level.WARN).count();
                output.out().println(fails == 0 ? cluster + ": ready (" + warns + " warning" + (warns == 1 ? "" : "s")
                        + ")" : cluster + ": " + fails + " check" + (fails == 1 ? "" : "s") + " failed");
                output.out().flush();
            } else {
                ObjectNode doc = JsonNodeFactory.instance.objectNode();
                doc.put("cluster", cluster);
                doc.put("ready", !failed());
                ArrayNode list = doc.putArray("checks");
                for (Result r : results) {
                    list.addObject().put("level", r.level().name()).put("check", r.check()).put("message", r.message());
                }
                output.document(doc);
            }
            return failed() ? ExitCodes.REJECTED : ExitCodes.OK;
        }
    }

    @Command(name = "management", mixinStandardHelpOptions = true,
            description = {"Check a management cluster: API server version, meshfed's CRDs (installed, Established, "
                    + "the expected versions and schema), its namespaces, the PKI's CA Secret, the functions' Knative "
                    + "Services (when Knative Serving is installed), the Broker, its dead-letter sink and every "
                    + "Trigger (when Knative Eventing is installed), the components' RBAC, and what you may do with "
                    + "the CLI (SelfSubjectAccessReview)."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed check management",
                "  bin/meshfed check management --kubeconfig ~/.kube/mgmt.yaml --context prod -o json"})
    static final class Management implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--pki-namespace", paramLabel = "NS", description = "The PKI's namespace (default meshfed-pki).")
        String pkiNamespace = PkiCommand.DEFAULT_NAMESPACE;

        @Option(names = "--secret", paramLabel = "NAME", description = "The CA Secret (default meshfed-pki-ca).")
        String secret = PkiCommand.DEFAULT_SECRET;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            Report report = new Report();
            try (KubernetesClient client = root.kubernetes()) {
                if (!version(report, client, root)) {
                    report.print(root.output(), "management cluster");
                    return ExitCodes.UNREACHABLE;
                }
                crds(report, client);
                namespace(report, client, root.namespace, "knative/manifests/namespace.yaml");
                namespace(report, client, pkiNamespace, "knative/manifests/namespace.yaml");
                caSecret(report, client);
                functions(report, client, root.namespace);
                eventing(report, client, root.namespace);
                componentRbac(report, client, root.namespace);
                callerAccess(report, client, root.namespace);
            }
            return report.print(root.output(), "management cluster");
        }

        private void crds(Report report, KubernetesClient client) {
            for (String file : CRD_FILES) {
                CustomResourceDefinition expected = (CustomResourceDefinition) load(client, "crd/" + file).get(0);
                String name = expected.getMetadata().getName();
                String check = "crd " + name;
                String fix = "kubectl apply --server-side -f knative/manifests/crd/" + file;
                CustomResourceDefinition installed;
                try {
                    installed = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 403) {
                        throw unreachable(e);
                    }
                    servedWithoutReadingTheCrd(report, client, check, expected);
                    continue;
                }
                if (installed == null) {
                    report.fail(check, "not installed: " + fix);
                    continue;
                }
                boolean established = installed.getStatus() != null && installed.getStatus().getConditions() != null
                        && installed.getStatus().getConditions().stream().anyMatch(
                                c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
                if (!established) {
                    report.fail(check, "not Established (kubectl describe crd " + name + "); re-apply: " + fix);
                    continue;
                }
                List<String> problems = new ArrayList<>();
                boolean schemaDiffers = false;
                for (CustomResourceDefinitionVersion want : expected.getSpec().getVersions()) {
                    CustomResourceDefinitionVersion have = installed.getSpec().getVersions().stream()
                            .filter(v -> v.getName().equals(want.getName())).findFirst().orElse(null);
                    if (have == null || !Boolean.TRUE.equals(have.getServed())) {
                        problems.add(want.getName() + " not served");
                    } else if (!Objects.equals(want.getStorage(), have.getStorage())) {
                        problems.add(want.getName() + (Boolean.TRUE.equals(want.getStorage()) ? " not" : "")
                                + " the storage version");
                    } else if (!tree(client, want.getSchema()).equals(tree(client, have.getSchema()))
                            || !tree(client, want.getSubresources()).equals(tree(client, have.getSubresources()))) {
                        schemaDiffers = true;
                    }
                }
                List<String> versions = installed.getSpec().getVersions().stream().map(v -> v.getName()
                        + (Boolean.TRUE.equals(v.getStorage()) ? " (storage)" : "")).toList();
                if (!problems.isEmpty()) {
                    report.fail(check, String.join(", ", problems) + " (installed: " + versions + "): " + fix);
                } else if (schemaDiffers) {
                    report.warn(check, "Established, " + versions + ", but its schema differs from this CLI's "
                            + "(another meshfed version?): " + fix);
                } else {
                    report.ok(check, "Established, " + String.join(", ", versions) + ", schema as expected");
                }
            }
        }

        /** Without get on CRDs, discovery (open to every authenticated user) still says whether the kind is served. */
        private void servedWithoutReadingTheCrd(Report report, KubernetesClient client, String check,
                CustomResourceDefinition expected) {
            String group = expected.getSpec().getGroup();
            String plural = expected.getSpec().getNames().getPlural();
            for (CustomResourceDefinitionVersion want : expected.getSpec().getVersions()) {
                APIResourceList resources = apiResources(client, group + "/" + want.getName());
                boolean served = resources != null && resources.getResources().stream()
                        .anyMatch(r -> plural.equals(r.getName()));
                if (!served) {
                    report.fail(check, group + "/" + want.getName() + " " + plural + " is not served: kubectl apply "
                            + "--server-side -f knative/manifests/crd/" + plural.replaceAll("s$", "") + ".yaml");
                    return;
                }
            }
            report.warn(check, "served, but you may not read CRDs, so its schema was not compared (needs get on "
                    + "customresourcedefinitions)");
        }

        private void caSecret(Report report, KubernetesClient client) {
            String check = "pki CA Secret";
            String where = pkiNamespace + "/" + secret;
            String fix = "the PKI function creates it on its first start; to bring your own: meshfed pki init "
                    + "--import-key KEY --import-chain CHAIN";
            Secret stored;
            try {
                stored = client.secrets().inNamespace(pkiNamespace).withName(secret).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                String copy = secret + "-public";
                ConfigMap publicCopy;
                try {
                    publicCopy = client.configMaps().inNamespace(pkiNamespace).withName(copy).get();
                } catch (KubernetesClientException e2) {
                    if (e2.getCode() != 403) {
                        throw unreachable(e2);
                    }
                    report.warn(check, "you may read neither Secret " + where + " nor its public copy ConfigMap "
                            + pkiNamespace + "/" + copy + " (Role meshfed-pki-public grants the copy): not checked");
                    return;
                }
                if (publicCopy == null) {
                    report.fail(check, "no public copy " + pkiNamespace + "/" + copy + " of the CA Secret (the Secret "
                            + "itself is not readable to you, as intended): " + fix);
                } else {
                    report.ok(check, "present (seen through its public copy " + pkiNamespace + "/" + copy
                            + "; the Secret is not readable to you, as intended)");
                }
                return;
            }
            if (stored == null) {
                report.fail(check, "no Secret " + where + ": " + fix);
                return;
            }
            Map<String, String> entries = new HashMap<>();
            if (stored.getData() != null) {
                stored.getData().forEach((k, v) -> entries.put(k,
                        new String(Base64.getMimeDecoder().decode(v), StandardCharsets.UTF_8)));
            }
            CaState state;
            try {
                state = CaStore.Entries.decode(entries, Clock.systemUTC());
            } catch (RuntimeException e) {
                report.fail(check, "Secret " + where + " does not hold a usable CA state: " + e.getMessage()
                        + " (the PKI function will refuse to start)");
                return;
            }
            X509Certificate signer = state.signer().certificate();
            Duration left = Duration.between(Instant.now(), signer.getNotAfter().toInstant());
            String what = "signer " + signer.getSubjectX500Principal().getName() + " sha256="
                    + Certificates.fingerprint(signer).substring(0, 16) + "..., expires "
                    + signer.getNotAfter().toInstant() + ", " + state.trustedRoots().size() + " trusted root"
                    + (state.trustedRoots().size() == 1 ? "" : "s") + (state.next().isPresent() ? ", rotation in progress"
                            : "");
            if (left.isNegative()) {
                report.fail(check, what + ": EXPIRED: meshfed pki rotate-root introduce, activate, retire (docs/pki.md)");
            } else if (left.compareTo(Duration.ofDays(90)) < 0) {
                report.warn(check, what + ": expires in " + left.toDays() + " days: rotate (meshfed pki rotate-root)");
            } else {
                report.ok(check, what);
            }
        }

        private void functions(Report report, KubernetesClient client, String namespace) {
            APIResourceList serving = apiResources(client, "serving.knative.dev/v1");
            if (serving == null || serving.getResources().stream().noneMatch(r -> "services".equals(r.getName()))) {
                report.warn("knative services", "Knative Serving is not installed (no serving.knative.dev/v1): the "
                        + "functions were not checked; meshfed's functions run as Knative Services (docs/deploy.md)");
                return;
            }
            for (String file : SERVING_FILES) {
                for (HasMetadata item : load(client, "serving/" + file)) {
                    if (!"serving.knative.dev/v1".equals(item.getApiVersion()) || !"Service".equals(item.getKind())) {
                        continue;
                    }
                    String name = item.getMetadata().getName();
                    String check = "ksvc " + name;
                    GenericKubernetesResource ksvc;
                    try {
                        ksvc = client.genericKubernetesResources("serving.knative.dev/v1", "Service")
                                .inNamespace(namespace).withName(name).get();
                    } catch (KubernetesClientException e) {
                        if (e.getCode() != 403) {
                            throw unreachable(e);
                        }
                        report.warn(check, "you may not read Knative Services in " + namespace + ": not checked");
                        continue;
                    }
                    if (ksvc == null) {
                        report.fail(check, "not deployed in " + namespace + ": helm install the meshfed chart "
                                + "(docs/deploy.md) or kubectl apply -f knative/manifests/serving/" + file);
                        continue;
                    }
                    JsonNode status = status(ksvc);
                    String notReady = notReady(status, "Knative Serving's", "kubectl describe ksvc " + name + " -n "
                            + namespace);
                    if (notReady != null) {
                        report.fail(check, notReady);
                    } else {
                        report.ok(check, "Ready" + (status.hasNonNull("url") ? ", " + status.get("url").asText() : ""));
                    }
                }
            }
        }

        /**
         * Knative Eventing's side: the Broker every meshfed event goes through exists and is Ready and has a
         * dead-letter sink that exists; each Trigger of knative/manifests/eventing/triggers exists, is Ready, is on
         * that Broker, filters the same attributes and delivers to the same subscriber.
         */
        private void eventing(Report report, KubernetesClient client, String namespace) {
            APIResourceList eventing = apiResources(client, "eventing.knative.dev/v1");
            if (eventing == null || eventing.getResources().stream().noneMatch(r -> "brokers".equals(r.getName()))
                    || eventing.getResources().stream().noneMatch(r -> "triggers".equals(r.getName()))) {
                report.warn("knative eventing", "Knative Eventing is not installed (no eventing.knative.dev/v1 "
                        + "brokers and triggers): the Broker and Triggers were not checked; every meshfed event goes "
                        + "through the Broker (docs/deploy.md)");
                return;
            }
            HasMetadata expectedBroker = load(client, "eventing/" + BROKER_FILE, namespace, pkiNamespace).get(0);
            String brokerName = expectedBroker.getMetadata().getName();
            if (broker(report, client, namespace, brokerName)) {
                triggers(report, client, namespace, brokerName);
            }
        }

        /** False when Brokers cannot be read at all (the Triggers are then not read either). */
        private boolean broker(Report report, KubernetesClient client, String namespace, String name) {
            String check = "broker " + name;
            String fix = "helm install the meshfed chart (docs/deploy.md) or kubectl apply -f "
                    + "knative/manifests/eventing/" + BROKER_FILE;
            GenericKubernetesResource broker;
            try {
                broker = client.genericKubernetesResources("eventing.knative.dev/v1", "Broker").inNamespace(namespace)
                        .withName(name).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn("knative eventing", "you may not read Brokers and Triggers in " + namespace
                        + ": not checked");
                return false;
            }
            if (broker == null) {
                report.fail(check, "not in " + namespace + ": every meshfed event goes through it; " + fix);
                return true;
            }
            JsonNode status = status(broker);
            String notReady = notReady(status, "Knative Eventing's", "kubectl describe broker " + name + " -n "
                    + namespace);
            if (notReady != null) {
                report.fail(check, notReady);
            } else {
                report.ok(check, "Ready" + (status.path("address").hasNonNull("url") ? ", "
                        + status.path("address").get("url").asText() : ""));
            }
            JsonNode sink = Output.JSON.valueToTree(broker.getAdditionalProperties().getOrDefault("spec", Map.of()))
                    .path("delivery").path("deadLetterSink");
            deadLetterSink(report, client, check + " dead letters", namespace, sink);
            return true;
        }

        private void deadLetterSink(Report report, KubernetesClient client, String check, String namespace,
                JsonNode sink) {
            if (sink.isMissingNode() || sink.isNull() || sink.isEmpty()) {
                report.warn(check, "no dead-letter sink: an event still undelivered after the retries is dropped "
                        + "unseen; helm upgrade the meshfed chart with deadLetters.enabled=true (or kubectl apply -f "
                        + "knative/manifests/eventing/" + BROKER_FILE + " and dead-letters.yaml; docs/observability.md, "
                        + "\"Dead letters\")");
                return;
            }
            JsonNode ref = sink.path("ref");
            if (ref.isMissingNode()) {
                report.ok(check, "sink " + sink.path("uri").asText("(no ref, no uri)"));
                return;
            }
            String kind = ref.path("kind").asText();
            String apiVersion = ref.path("apiVersion").asText();
            String refNamespace = ref.path("namespace").asText(namespace);
            String name = ref.path("name").asText();
            String what = kind + " " + refNamespace + "/" + name;
            boolean exists;
            try {
                exists = "v1".equals(apiVersion) && "Service".equals(kind)
                        ? client.services().inNamespace(refNamespace).withName(name).get() != null
                        : client.genericKubernetesResources(apiVersion, kind).inNamespace(refNamespace).withName(name)
                                .get() != null;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 403) {
                    report.warn(check, "sink " + what + ", which you may not read: not checked");
                    return;
                }
                if (e.getCode() == 404) {
                    exists = false;
                } else {
                    throw unreachable(e);
                }
            }
            if (exists) {
                report.ok(check, "sink " + what + " exists");
            } else {
                report.fail(check, "its dead-letter sink " + what + " does not exist, so undeliverable events are "
                        + "lost: kubectl apply -f knative/manifests/eventing/dead-letters.yaml (or helm upgrade the "
                        + "meshfed chart)");
            }
        }

        private void triggers(Report report, KubernetesClient client, String namespace, String brokerName) {
            for (String file : TRIGGER_FILES) {
                HasMetadata loaded = load(client, "eventing/triggers/" + file, namespace, pkiNamespace).get(0);
                JsonNode want = tree(client, loaded);
                String name = loaded.getMetadata().getName();
                String check = "trigger " + name;
                String fix = "kubectl apply -f knative/manifests/eventing/triggers/" + file + " (or helm upgrade the "
                        + "meshfed chart)";
                GenericKubernetesResource trigger;
                try {
                    trigger = client.genericKubernetesResources("eventing.knative.dev/v1", "Trigger")
                            .inNamespace(namespace).withName(name).get();
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 403) {
                        throw unreachable(e);
                    }
                    report.warn("knative triggers", "you may not read Triggers in " + namespace + ": not checked");
                    return;
                }
                if (trigger == null) {
                    report.fail(check, "not in " + namespace + ": " + describeRoute(want, namespace)
                            + " is not delivered; " + fix);
                    continue;
                }
                JsonNode have = tree(client, trigger);
                String broker = have.path("spec").path("broker").asText();
                if (!brokerName.equals(broker)) {
                    report.fail(check, "on Broker '" + broker + "', not '" + brokerName + "': " + fix);
                    continue;
                }
                JsonNode wantRef = subscriber(want.path("spec").path("subscriber"), namespace);
                JsonNode haveRef = subscriber(have.path("spec").path("subscriber"), namespace);
                if (!wantRef.equals(haveRef)) {
                    report.fail(check, "delivers to " + describeSubscriber(haveRef) + ", not "
                            + describeSubscriber(wantRef) + ": " + fix);
                    continue;
                }
                JsonNode wantFilter = want.path("spec").path("filter");
                JsonNode haveFilter = have.path("spec").path("filter");
                if (!wantFilter.equals(haveFilter)) {
                    report.fail(check, "filters " + haveFilter.path("attributes") + ", not "
                            + wantFilter.path("attributes") + ": " + fix);
                    continue;
                }
                String notReady = notReady(status(trigger), "Knative Eventing's", "kubectl describe trigger " + name
                        + " -n " + namespace);
                if (notReady != null) {
                    report.fail(check, notReady);
                } else {
                    report.ok(check, "Ready, " + describeRoute(want, namespace));
                }
            }
        }

        /** A subscriber as compared: its ref with the namespace made explicit (the Trigger's by default), or its uri. */
        private static JsonNode subscriber(JsonNode subscriber, String namespace) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            JsonNode ref = subscriber.path("ref");
            if (!ref.isMissingNode()) {
                out.put("apiVersion", ref.path("apiVersion").asText()).put("kind", ref.path("kind").asText())
                        .put("namespace", ref.path("namespace").asText(namespace)).put("name", ref.path("name").asText());
            }
            if (subscriber.hasNonNull("uri")) {
                out.put("uri", subscriber.get("uri").asText());
            }
            return out;
        }

        private static String describeSubscriber(JsonNode subscriber) {
            if (subscriber.has("kind")) {
                return subscriber.path("kind").asText() + " " + subscriber.path("namespace").asText() + "/"
                        + subscriber.path("name").asText() + " (" + subscriber.path("apiVersion").asText() + ")"
                        + (subscriber.has("uri") ? " " + subscriber.get("uri").asText() : "");
            }
            return subscriber.has("uri") ? subscriber.get("uri").asText() : "nothing";
        }

        private static String describeRoute(JsonNode trigger, String namespace) {
            JsonNode attributes = trigger.path("spec").path("filter").path("attributes");
            JsonNode ref = subscriber(trigger.path("spec").path("subscriber"), namespace);
            return attributes.path("type").asText("every event") + " -> " + (ref.has("name")
                    ? ref.path("name").asText() : describeSubscriber(ref));
        }

        /** Every ServiceAccount, Role and binding of knative/manifests/rbac exists (with the same rules). */
        private void componentRbac(Report report, KubernetesClient client, String namespace) {
            for (String file : RBAC_FILES) {
                String check = "rbac " + file.replace(".yaml", "");
                String fix = "kubectl apply -f knative/manifests/rbac/" + file;
                List<String> missing = new ArrayList<>();
                List<String> differ = new ArrayList<>();
                boolean forbidden = false;
                List<HasMetadata> objects = load(client, "rbac/" + file, namespace, pkiNamespace);
                for (HasMetadata want : objects) {
                    String name = want.getKind() + " " + (want.getMetadata().getNamespace() == null ? ""
                            : want.getMetadata().getNamespace() + "/") + want.getMetadata().getName();
                    HasMetadata have;
                    try {
                        have = client.resource(want).get();
                    } catch (KubernetesClientException e) {
                        if (e.getCode() != 403) {
                            throw unreachable(e);
                        }
                        forbidden = true;
                        continue;
                    }
                    if (have == null) {
                        missing.add(name);
                    } else if (!Objects.equals(tree(client, want).path("rules"), tree(client, have).path("rules"))
                            || !Objects.equals(tree(client, want).path("subjects"), tree(client, have).path("subjects"))
                            || !Objects.equals(tree(client, want).path("roleRef"), tree(client, have).path("roleRef"))) {
                        differ.add(name);
                    }
                }
                if (!missing.isEmpty()) {
                    report.fail(check, "missing " + String.join(", ", missing) + ": " + fix);
                } else if (forbidden) {
                    report.warn(check, "you may not read RBAC objects or ServiceAccounts here: not checked");
                } else if (!differ.isEmpty()) {
                    report.warn(check, String.join(", ", differ) + " differ from this CLI's manifests: " + fix);
                } else {
                    report.ok(check, objects.size() + " objects as in knative/manifests/rbac/" + file);
                }
            }
        }

        /** What the caller may do with the CLI, by SelfSubjectAccessReview (no right needed to ask). */
        private void callerAccess(Report report, KubernetesClient client, String namespace) {
            record Need(String verb, String group, String resource, String subresource, String ns, String name,
                    String forWhat, boolean required) {
            }
            List<Need> needs = List.of(
                    new Need("list", "meshfed.io", "meshclusters", null, namespace, null, "meshfed cluster list", true),
                    new Need("watch", "meshfed.io", "meshclusters", null, namespace, null, "--wait", true),
                    new Need("list", "meshfed.io", "trafficpolicies", null, namespace, null, "meshfed policy list", true),
                    new Need("list", "meshfed.io", "accesspolicies", null, namespace, null, "meshfed policy list", true),
                    new Need("get", "", "configmaps", null, pkiNamespace, secret + "-public", "meshfed pki status", true),
                    new Need("create", "", "serviceaccounts", "token", namespace, "meshfed-operator",
                            "sending events through the Broker, docs/deploy.md", true),
                    new Need("update", "", "secrets", null, pkiNamespace, secret,
                            "meshfed pki init / rotate-root (break-glass)", false));
            for (Need need : needs) {
                ResourceAttributes attributes = new ResourceAttributesBuilder().withVerb(need.verb())
                        .withGroup(need.group()).withResource(need.resource()).withSubresource(need.subresource())
                        .withNamespace(need.ns()).withName(need.name()).build();
                boolean allowed;
                try {
                    allowed = client.authorization().v1().selfSubjectAccessReview()
                            .create(new SelfSubjectAccessReviewBuilder().withNewSpec()
                                    .withResourceAttributes(attributes).endSpec().build())
                            .getStatus().getAllowed();
                } catch (KubernetesClientException e) {
                    throw unreachable(e);
                }
                String what = need.verb() + " " + need.resource() + (need.subresource() == null ? ""
                        : "/" + need.subresource()) + (need.group().isEmpty() ? "" : "." + need.group())
                        + (need.name() == null ? "" : " " + need.name()) + " in " + need.ns();
                String check = "you: " + need.verb() + " " + need.resource()
                        + (need.subresource() == null ? "" : "/" + need.subresource());
                if (allowed) {
                    report.ok(check, "allowed (" + need.forWhat() + ")");
                } else if (need.required()) {
                    report.warn(check, "denied: " + need.forWhat() + " will not work for you; ask for " + what);
                } else {
                    report.warn(check, "denied: " + need.forWhat() + " will not work for you, as intended for most "
                            + "operators; whoever rotates the root needs " + what);
                }
            }
        }
    }

    @Command(name = "workload", mixinStandardHelpOptions = true,
            description = {"Check a workload cluster (give its kubeconfig): API server version, Istio's namespace, the "
                    + "cacerts Secret's shape when present, the reader ServiceAccount meshfed registers the cluster "
                    + "with and its RBAC (SubjectAccessReview), the CSR agent's ServiceAccount, and istiod: available, "
                    + "a supported Istio, its mesh config reading the relay's config sources and k8s://, the xDS "
                    + "relay in its pod with its certificate Secret; with the management cluster's kubeconfig or "
                    + "context, also whether the bridge sees the cluster's istiod (IstiodConnected)."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed check workload --kubeconfig ~/.kube/east.yaml",
                "  bin/meshfed check workload --context east --reader-namespace meshfed-system",
                "  bin/meshfed check workload --context east --management-context mgmt"})
    static final class Workload implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--istio-namespace", paramLabel = "NS", description = "istiod's namespace (default istio-system).")
        String istioNamespace = "istio-system";

        @Option(names = "--reader-namespace", paramLabel = "NS",
                description = "The reader ServiceAccount's namespace (default meshfed-system).")
        String readerNamespace = "meshfed-system";

        @Option(names = "--reader-service-account", paramLabel = "NAME",
                description = "The ServiceAccount whose token registers the cluster (default meshfed-export-reader).")
        String reader = "meshfed-export-reader";

        @Option(names = "--cluster", paramLabel = "NAME",
                description = "The name this cluster is registered under, for its MeshCluster's IstiodConnected "
                        + "condition (default: the CSR agent's MESHFED_CLUSTER).")
        String cluster;

        @Option(names = "--management-kubeconfig", paramLabel = "FILE",
                description = "Kubeconfig of the management cluster: also check that the bridge sees this "
                        + "cluster's istiod (its MeshCluster's IstiodConnected condition, in --namespace).")
        Path managementKubeconfig;

        @Option(names = "--management-context", paramLabel = "NAME",
                description = "The management cluster's context (in --management-kubeconfig, else in the workload "
                        + "cluster's kubeconfig): also check IstiodConnected.")
        String managementContext;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            Report report = new Report();
            try (KubernetesClient client = root.kubernetes()) {
                if (!version(report, client, root)) {
                    report.print(root.output(), "workload cluster");
                    return ExitCodes.UNREACHABLE;
                }
                namespace(report, client, istioNamespace, "install Istio (istiod with meshfed's plug-in CA: "
                        + "docs/deploy.md)");
                cacerts(report, client);
                readerAccount(report, client);
                csrAgent(report, client);
                new IstiodChecks(report, client, istioNamespace).run();
                if (managementKubeconfig != null || managementContext != null) {
                    istiodConnected(report, client, root);
                }
            }
            return report.print(root.output(), "workload cluster");
        }

        /** The MeshCluster of this cluster in the management cluster says an istiod of it holds a stream. */
        private void istiodConnected(Report report, KubernetesClient workload, MeshfedCommand root) {
            String name = cluster != null ? cluster : csrAgentCluster(workload);
            String check = "istiod connected";
            if (name == null) {
                report.warn(check, "cannot tell the name this cluster is registered under (no --cluster, and no "
                        + "MESHFED_CLUSTER in Deployment " + istioNamespace + "/meshfed-csr-agent): give --cluster");
                return;
            }
            check = "istiod connected (MeshCluster " + name + ")";
            KubeAccess access = KubeAccess.resolve(managementKubeconfig != null ? managementKubeconfig
                    : root.kubeconfig, managementContext, root.environment.variables(), root.timeout());
            try (KubernetesClient management = root.environment.kubernetes().apply(access)) {
                GenericKubernetesResource meshCluster = management.genericKubernetesResources("meshfed.io/v1alpha1",
                        "MeshCluster").inNamespace(root.namespace).withName(name).get();
                if (meshCluster == null) {
                    report.fail(check, "no MeshCluster " + root.namespace + "/" + name + " in the management cluster: "
                            + "register the cluster (meshfed cluster register -f FILE --wait), or give --cluster / "
                            + "--namespace");
                    return;
                }
                JsonNode condition = null;
                for (JsonNode c : status(meshCluster).path("conditions")) {
                    if ("IstiodConnected".equals(c.path("type").asText())) {
                        condition = c;
                    }
                }
                String logs = "kubectl logs -n " + istioNamespace + " deploy/istiod -c " + IstiodChecks.RELAY
                        + ", and its readiness at http://<istiod pod IP>:15015/q/health/ready";
                if (condition == null) {
                    report.warn(check, "no IstiodConnected condition: no istiod of " + name + " has reached the bridge "
                            + "yet (or the bridge runs with meshfed.xds.istiod-condition=false); see the relay: " + logs);
                } else if ("True".equals(condition.path("status").asText())) {
                    report.ok(check, "True (" + condition.path("reason").asText() + ") since "
                            + condition.path("lastTransitionTime").asText());
                } else {
                    report.fail(check, "IstiodConnected " + condition.path("status").asText() + " ("
                            + condition.path("reason").asText() + ": " + condition.path("message").asText("")
                            + ") since " + condition.path("lastTransitionTime").asText() + "; see why in the relay's "
                            + "log: " + logs);
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() == 403) {
                    report.warn(check, "you may not read MeshClusters in " + root.namespace + " of the management "
                            + "cluster: not checked");
                    return;
                }
                report.fail(check, "the management cluster (" + access.describe() + ") did not answer: "
                        + ClusterCommand.cause(e));
            }
        }

        /** The CSR agent's MESHFED_CLUSTER, or null. */
        private String csrAgentCluster(KubernetesClient client) {
            try {
                Deployment agent = client.apps().deployments().inNamespace(istioNamespace).withName("meshfed-csr-agent")
                        .get();
                if (agent == null) {
                    return null;
                }
                return agent.getSpec().getTemplate().getSpec().getContainers().stream()
                        .flatMap(c -> c.getEnv() == null ? java.util.stream.Stream.empty() : c.getEnv().stream())
                        .filter(e -> "MESHFED_CLUSTER".equals(e.getName()) && e.getValue() != null
                                && !e.getValue().isBlank())
                        .map(EnvVar::getValue).findFirst().orElse(null);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                return null;
            }
        }

        private void cacerts(Report report, KubernetesClient client) {
            String check = "cacerts";
            Secret secret;
            try {
                secret = client.secrets().inNamespace(istioNamespace).withName("cacerts").get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn(check, "you may not read Secret " + istioNamespace + "/cacerts: not checked");
                return;
            }
            if (secret == null) {
                report.warn(check, "no Secret " + istioNamespace + "/cacerts yet: the CSR agent writes it once its "
                        + "intermediate is signed (knative/workload/csr-agent.yaml); istiod uses a self-signed CA until then");
                return;
            }
            Map<String, String> data = new HashMap<>();
            if (secret.getData() != null) {
                secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getMimeDecoder().decode(v),
                        StandardCharsets.UTF_8)));
            }
            List<String> missing = CACERTS_KEYS.stream().filter(k -> data.getOrDefault(k, "").isBlank()).toList();
            if (!missing.isEmpty()) {
                report.fail(check, "lacks " + String.join(", ", missing) + " (istiod needs " + CACERTS_KEYS
                        + "): delete it and let the CSR agent write it again");
                return;
            }
            String problem = cacertsProblem(data);
            if (problem != null) {
                report.fail(check, problem + ": delete it and let the CSR agent write it again");
                return;
            }
            X509Certificate ca = Pems.certificates(data.get("ca-cert.pem"), "ca-cert.pem").get(0);
            Duration left = Duration.between(Instant.now(), ca.getNotAfter().toInstant());
            String what = ca.getSubjectX500Principal().getName() + ", chain ends at a root in root-cert.pem, expires "
                    + ca.getNotAfter().toInstant();
            if (left.compareTo(Duration.ofDays(7)) < 0) {
                report.warn(check, what + ": expires in " + left.toHours() + " h: is the CSR agent running?");
            } else {
                report.ok(check, what);
            }
        }

        private void readerAccount(Report report, KubernetesClient client) {
            String check = "reader " + readerNamespace + "/" + reader;
            String fix = "kubectl apply -f knative/workload/export-reader.yaml";
            try {
                if (client.serviceAccounts().inNamespace(readerNamespace).withName(reader).get() == null) {
                    report.fail(check, "no such ServiceAccount: " + fix);
                    return;
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn(check, "you may not read ServiceAccounts in " + readerNamespace + ": not checked");
                return;
            }
            report.ok(check, "exists");
            String user = "system:serviceaccount:" + readerNamespace + ":" + reader;
            record Need(String verb, String group, String resource) {
            }
            List<Need> needs = List.of(new Need("list", "", "services"), new Need("list", "", "pods"),
                    new Need("list", "", "nodes"), new Need("list", "discovery.k8s.io", "endpointslices"),
                    new Need("list", "multicluster.x-k8s.io", "serviceexports"),
                    new Need("create", "authentication.k8s.io", "tokenreviews"));
            List<String> denied = new ArrayList<>();
            boolean readsSecrets;
            try {
                for (Need need : needs) {
                    if (!allowed(client, user, need.verb(), need.group(), need.resource())) {
                        denied.add(need.verb() + " " + need.resource() + (need.group().isEmpty() ? "" : "." + need.group()));
                    }
                }
                readsSecrets = allowed(client, user, "get", "", "secrets");
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn(check + " rbac", "you may not create SubjectAccessReviews: its RBAC was not checked");
                return;
            }
            if (!denied.isEmpty()) {
                report.fail(check + " rbac", "may not " + String.join(", ", denied) + " (export and the PKI's "
                        + "TokenReviews need them): " + fix);
            } else if (readsSecrets) {
                report.warn(check + " rbac", "may read Secrets: more than meshfed needs (its token is stored in the "
                        + "management cluster); bind it to ClusterRole meshfed-export-reader only");
            } else {
                report.ok(check + " rbac", "may list services, pods, nodes, endpointslices, serviceexports and create "
                        + "tokenreviews; no Secrets");
            }
        }

        private void csrAgent(Report report, KubernetesClient client) {
            String check = "csr agent " + istioNamespace + "/meshfed-csr-agent";
            try {
                if (client.serviceAccounts().inNamespace(istioNamespace).withName("meshfed-csr-agent").get() == null) {
                    report.warn(check, "no such ServiceAccount: the CSR agent is not installed; apply "
                            + "knative/workload/csr-agent.yaml (its env set) or the meshfed-workload chart");
                } else {
                    report.ok(check, "ServiceAccount exists");
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn(check, "you may not read ServiceAccounts in " + istioNamespace + ": not checked");
            }
        }

        private static boolean allowed(KubernetesClient client, String user, String verb, String group,
                String resource) {
            return client.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                    .withNewSpec().withUser(user).withGroups("system:serviceaccounts", "system:authenticated")
                    .withResourceAttributes(new ResourceAttributesBuilder().withVerb(verb).withGroup(group)
                            .withResource(resource).build())
                    .endSpec().build()).getStatus().getAllowed();
        }
    }

    /**
     * istiod's side of a workload cluster, as the workload chart's ConfigMap {@code meshfed-istiod} sets it up
     * (docs/deploy.md): the Deployment is available and runs a supported Istio, its mesh config reads the relay's
     * config sources and still {@code k8s://}, the relay container is in its pod with its certificate Secret
     * mounted, and that Secret holds a certificate valid now.
     */
    static final class IstiodChecks {
        static final String DEPLOYMENT = "istiod";
        static final String RELAY = "meshfed-xds-relay";
        static final String RELAY_SECRET = "meshfed-xds-client";
        /** Istio minor versions meshfed supports: 1.ISTIO_MIN_MINOR (v1 networking types) to 1.ISTIO_MAX_MINOR (tested). */
        static final int ISTIO_MIN_MINOR = 24;
        static final int ISTIO_MAX_MINOR = 31;
        private static final Pattern VERSION_TAG = Pattern.compile("^(\\d+)\\.(\\d+)(?:[.-].*)?$");

        private final Report report;
        private final KubernetesClient client;
        private final String namespace;
        private final String patch;
        private final String values;

        IstiodChecks(Report report, KubernetesClient client, String namespace) {
            this.report = report;
            this.client = client;
            this.namespace = namespace;
            this.patch = "kubectl patch deployment " + DEPLOYMENT + " -n " + namespace + " --type=strategic --patch "
                    + "\"$(kubectl get configmap meshfed-istiod -n " + namespace
                    + " -o jsonpath='{.data.xds-relay-patch\\.yaml}')\" (docs/deploy.md)";
            this.values = "helm upgrade istiod istio/istiod -n " + namespace + " --reuse-values -f <(kubectl get "
                    + "configmap meshfed-istiod -n " + namespace + " -o jsonpath='{.data.istiod-values\\.yaml}') "
                    + "(docs/deploy.md)";
        }

        void run() {
            Deployment istiod;
            try {
                istiod = client.apps().deployments().inNamespace(namespace).withName(DEPLOYMENT).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn("istiod", "you may not read Deployments in " + namespace + ": istiod was not checked");
                return;
            }
            String check = "istiod";
            if (istiod == null) {
                report.fail(check, "no Deployment " + namespace + "/" + DEPLOYMENT + ": install istiod with meshfed's "
                        + "values (helm install istiod istio/istiod -n " + namespace + " -f istiod-values.yaml from "
                        + "ConfigMap meshfed-istiod; docs/deploy.md)");
                return;
            }
            available(istiod);
            List<Container> containers = istiod.getSpec().getTemplate().getSpec().getContainers();
            Container discovery = containers.stream().filter(c -> "discovery".equals(c.getName())).findFirst()
                    .orElse(containers.stream().filter(c -> !RELAY.equals(c.getName())).findFirst().orElse(null));
            version(discovery);
            Container relay = containers.stream().filter(c -> RELAY.equals(c.getName())).findFirst().orElse(null);
            meshConfig(relay);
            relay(istiod, relay);
            relaySecret();
        }

        private void available(Deployment istiod) {
            var status = istiod.getStatus();
            int replicas = istiod.getSpec().getReplicas() == null ? 1 : istiod.getSpec().getReplicas();
            int ready = status == null || status.getAvailableReplicas() == null ? 0 : status.getAvailableReplicas();
            var availableCondition = status == null || status.getConditions() == null ? null
                    : status.getConditions().stream().filter(c -> "Available".equals(c.getType())).findFirst()
                            .orElse(null);
            String counts = ready + "/" + replicas + " replicas available";
            if (availableCondition != null && "True".equals(availableCondition.getStatus())) {
                report.ok("istiod", "Deployment " + namespace + "/" + DEPLOYMENT + " available, " + counts);
            } else {
                report.fail("istiod", "Deployment " + namespace + "/" + DEPLOYMENT + " not available (" + counts
                        + (availableCondition == null ? "" : "; " + availableCondition.getReason() + ": "
                                + availableCondition.getMessage())
                        + "): kubectl describe deployment " + DEPLOYMENT + " -n " + namespace + " and its pods' events"
                        + " (a missing Secret " + RELAY_SECRET + " keeps the pod from starting)");
            }
        }

        private void version(Container discovery) {
            String check = "istiod version";
            if (discovery == null) {
                report.fail(check, "the Deployment has no istiod container: reinstall istiod");
                return;
            }
            String image = discovery.getImage() == null ? "" : discovery.getImage();
            String tag = image.replaceFirst("@.*$", "");
            int slash = tag.lastIndexOf('/');
            int colon = tag.lastIndexOf(':');
            tag = colon > slash ? tag.substring(colon + 1) : "";
            Matcher m = VERSION_TAG.matcher(tag);
            String supported = "1." + ISTIO_MIN_MINOR + " to 1." + ISTIO_MAX_MINOR;
            if (!m.matches() || !"1".equals(m.group(1))) {
                report.warn(check, "cannot tell the Istio version from image " + image + " (no 1.x tag); meshfed "
                        + "supports " + supported);
                return;
            }
            int minor = Integer.parseInt(m.group(2));
            if (minor < ISTIO_MIN_MINOR) {
                report.fail(check, "Istio " + tag + " (image " + image + "): meshfed needs 1." + ISTIO_MIN_MINOR
                        + " or newer (supported: " + supported + "): upgrade istiod");
            } else if (minor > ISTIO_MAX_MINOR) {
                report.warn(check, "Istio " + tag + " (image " + image + "): newer than meshfed was tested with ("
                        + supported + ")");
            } else {
                report.ok(check, "Istio " + tag + " (supported: " + supported + ")");
            }
        }

        /** The config sources the relay serves: one per loopback address it listens on. */
        static List<String> relaySources(Container relay) {
            Map<String, String> env = new HashMap<>();
            if (relay != null && relay.getEnv() != null) {
                relay.getEnv().forEach(e -> env.put(e.getName(), e.getValue()));
            }
            String listen = env.getOrDefault("MESHFED_RELAY_LISTEN", "127.0.0.1:15011");
            String port = listen.substring(listen.lastIndexOf(':') + 1);
            int shards;
            try {
                shards = Integer.parseInt(env.getOrDefault("MESHFED_RELAY_SHARDS", "0").strip());
            } catch (NumberFormatException e) {
                shards = 0;
            }
            if (shards < 2) {
                return List.of("xds://" + listen);
            }
            List<String> sources = new ArrayList<>();
            for (int k = 1; k <= shards; k++) {
                sources.add("xds://127.0." + shards + "." + k + ":" + port);
            }
            return sources;
        }

        private void meshConfig(Container relay) {
            String check = "istiod mesh config";
            ConfigMap istio;
            try {
                istio = client.configMaps().inNamespace(namespace).withName("istio").get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn(check, "you may not read ConfigMap " + namespace + "/istio: not checked");
                return;
            }
            String mesh = istio == null || istio.getData() == null ? null : istio.getData().get("mesh");
            if (mesh == null) {
                report.fail(check, (istio == null ? "no ConfigMap " + namespace + "/istio" : "ConfigMap " + namespace
                        + "/istio has no 'mesh' key") + " (istiod's chart writes it): " + values);
                return;
            }
            JsonNode config;
            try {
                config = Output.YAML.readTree(mesh);
            } catch (IOException e) {
                report.fail(check, "ConfigMap " + namespace + "/istio's 'mesh' is not YAML (" + e.getMessage()
                        + "): " + values);
                return;
            }
            List<String> have = new ArrayList<>();
            for (JsonNode source : config == null ? JsonNodeFactory.instance.arrayNode() : config.path("configSources")) {
                have.add(source.path("address").asText());
            }
            List<String> want = relaySources(relay);
            List<String> missing = want.stream().filter(a -> !have.contains(a)).toList();
            List<String> problems = new ArrayList<>();
            if (!missing.isEmpty()) {
                problems.add("lacks " + String.join(", ", missing) + " (the relay's"
                        + (want.size() > 1 ? " " + want.size() + " sharded sources" : "") + "): istiod reads nothing "
                        + "from meshfed");
            }
            if (!have.contains("k8s://")) {
                problems.add("lacks k8s://: with config sources set, istiod reads Istio config only from them, so "
                        + "this cluster's own VirtualServices, DestinationRules, ... would be ignored");
            }
            if (!problems.isEmpty()) {
                report.fail(check, "configSources " + have + " " + String.join("; ", problems) + ": " + values);
                return;
            }
            List<String> others = have.stream().filter(a -> a.startsWith("xds://") && !want.contains(a)).toList();
            if (!others.isEmpty()) {
                report.warn(check, "configSources also has " + String.join(", ", others) + ", which no relay in "
                        + "istiod's pod listens on (a plaintext xds:// source is unauthenticated; meshfed's go "
                        + "through the relay): " + values);
            } else {
                report.ok(check, "configSources " + String.join(", ", have));
            }
        }

        private void relay(Deployment istiod, Container relay) {
            String check = "istiod relay";
            if (relay == null) {
                report.fail(check, "no " + RELAY + " container in Deployment " + namespace + "/" + DEPLOYMENT
                        + ": istiod cannot present the cluster's client certificate to the bridge without it; "
                        + patch);
                return;
            }
            List<Volume> volumes = istiod.getSpec().getTemplate().getSpec().getVolumes() == null ? List.of()
                    : istiod.getSpec().getTemplate().getSpec().getVolumes();
            String secretVolume = volumes.stream().filter(v -> v.getSecret() != null
                    && RELAY_SECRET.equals(v.getSecret().getSecretName())).map(Volume::getName).findFirst()
                    .orElse(null);
            VolumeMount mount = secretVolume == null || relay.getVolumeMounts() == null ? null
                    : relay.getVolumeMounts().stream().filter(m -> secretVolume.equals(m.getName())).findFirst()
                            .orElse(null);
            if (mount == null) {
                report.fail(check, "container " + RELAY + " does not mount Secret " + RELAY_SECRET + " (its client "
                        + "certificate, kept by the CSR agent): " + patch);
                return;
            }
            String bridge = relay.getEnv() == null ? null : relay.getEnv().stream()
                    .filter(e -> "MESHFED_BRIDGE_ADDRESS".equals(e.getName())).map(EnvVar::getValue).findFirst()
                    .orElse(null);
            if (bridge == null || bridge.isBlank()) {
                report.fail(check, "container " + RELAY + " has no MESHFED_BRIDGE_ADDRESS: the relay will not start; "
                        + patch);
                return;
            }
            report.ok(check, "container " + RELAY + " (" + relay.getImage() + ") dials " + bridge + ", Secret "
                    + RELAY_SECRET + " mounted at " + mount.getMountPath());
        }

        private void relaySecret() {
            String check = "istiod relay certificate";
            Secret secret;
            try {
                secret = client.secrets().inNamespace(namespace).withName(RELAY_SECRET).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 403) {
                    throw unreachable(e);
                }
                report.warn(check, "you may not read Secret " + namespace + "/" + RELAY_SECRET + ": not checked");
                return;
            }
            String agent = "the CSR agent writes it once the PKI signs the cluster's client certificate (knative/"
                    + "workload/csr-agent.yaml): is it running? kubectl logs -n " + namespace
                    + " deploy/meshfed-csr-agent";
            if (secret == null) {
                report.fail(check, "no Secret " + namespace + "/" + RELAY_SECRET + ": istiod's pod cannot start "
                        + "without it (its relay mounts it); " + agent);
                return;
            }
            Map<String, String> data = new HashMap<>();
            if (secret.getData() != null) {
                secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getMimeDecoder().decode(v),
                        StandardCharsets.UTF_8)));
            }
            List<String> missing = List.of("tls.crt", "tls.key", "ca.crt").stream()
                    .filter(k -> data.getOrDefault(k, "").isBlank()).toList();
            if (!missing.isEmpty()) {
                report.fail(check, "Secret " + namespace + "/" + RELAY_SECRET + " lacks " + String.join(", ", missing)
                        + ": delete it and let the CSR agent write it again");
                return;
            }
            X509Certificate leaf;
            try {
                leaf = Pems.certificates(data.get("tls.crt"), "tls.crt").get(0);
            } catch (RuntimeException e) {
                report.fail(check, "tls.crt of Secret " + namespace + "/" + RELAY_SECRET + " is not a certificate ("
                        + e.getMessage() + "): delete it and let the CSR agent write it again");
                return;
            }
            Instant until = leaf.getNotAfter().toInstant();
            Duration left = Duration.between(Instant.now(), until);
            String what = leaf.getSubjectX500Principal().getName() + ", expires " + until;
            if (left.isNegative()) {
                report.fail(check, what + ": EXPIRED, the bridge refuses the relay; " + agent);
            } else if (left.compareTo(Duration.ofHours(4)) < 0) {
                report.warn(check, what + ": expires in " + left.toMinutes() + " min (renewed at two thirds of a "
                        + "day, so with 8 h left): " + agent);
            } else {
                report.ok(check, what);
            }
        }
    }

    /**
     * What is wrong with a complete cacerts, or null: the key must match ca-cert.pem, ca-cert.pem must be a CA and
     * the first certificate of cert-chain.pem, each certificate of the chain signed by the next, and the chain's
     * last certificate one of root-cert.pem's roots.
     */
    static String cacertsProblem(Map<String, String> data) {
        try {
            X509Certificate ca = Pems.certificates(data.get("ca-cert.pem"), "ca-cert.pem").get(0);
            PrivateKey key = Pems.privateKey(data.get("ca-key.pem"), "ca-key.pem");
            List<X509Certificate> chain = Pems.certificates(data.get("cert-chain.pem"), "cert-chain.pem");
            List<X509Certificate> roots = Pems.certificates(data.get("root-cert.pem"), "root-cert.pem");
            String algorithm = KeyAlgorithm.signatureAlgorithmFor(ca.getPublicKey());
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            byte[] probe = "meshfed check".getBytes(StandardCharsets.US_ASCII);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(ca.getPublicKey());
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                return "ca-key.pem does not match ca-cert.pem";
            }
            if (ca.getBasicConstraints() < 0) {
                return "ca-cert.pem (" + ca.getSubjectX500Principal().getName() + ") is not a CA certificate";
            }
            if (!chain.get(0).equals(ca)) {
                return "cert-chain.pem does not start with ca-cert.pem";
            }
            for (int i = 0; i + 1 < chain.size(); i++) {
                try {
                    chain.get(i).verify(chain.get(i + 1).getPublicKey());
                } catch (GeneralSecurityException e) {
                    return "certificate " + i + " of cert-chain.pem is not signed by the next one";
                }
            }
            X509Certificate last = chain.get(chain.size() - 1);
            boolean anchored = roots.stream().anyMatch(root -> {
                try {
                    last.verify(root.getPublicKey());
                    return true;
                } catch (GeneralSecurityException e) {
                    return false;
                }
            });
            if (!anchored) {
                return "cert-chain.pem does not end at a root of root-cert.pem";
            }
            ca.checkValidity();
            return null;
        } catch (GeneralSecurityException e) {
            return "ca-cert.pem is not valid now or cannot be used: " + e.getMessage();
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    /** A custom resource's status as a tree (empty when it has none yet). */
    static JsonNode status(GenericKubernetesResource resource) {
        Object raw = resource.getAdditionalProperties().get("status");
        return raw == null ? JsonNodeFactory.instance.objectNode() : Output.JSON.valueToTree(raw);
    }

    /**
     * Why a Knative resource is not Ready (its {@code Ready} condition missing or not True), with what to run to see
     * more; null when it is Ready.
     */
    static String notReady(JsonNode status, String controller, String describe) {
        JsonNode ready = null;
        for (JsonNode c : status.path("conditions")) {
            if ("Ready".equals(c.path("type").asText())) {
                ready = c;
            }
        }
        if (ready == null) {
            return "no Ready condition yet: is " + controller + " controller running? (" + describe + ")";
        }
        if (!"True".equals(ready.path("status").asText())) {
            return "not Ready: " + (ready.path("reason").asText("") + " " + ready.path("message").asText("")).strip()
                    + " (" + describe + ")";
        }
        return null;
    }

    /** {@code api-server}: reachable, and its version within what meshfed supports; false when it did not answer. */
    static boolean version(Report report, KubernetesClient client, MeshfedCommand root) {
        VersionInfo info;
        try {
            info = client.getKubernetesVersion();
        } catch (KubernetesClientException e) {
            report.fail("api-server", "no answer from " + client.getMasterUrl() + " (" + root.kubeAccess().describe()
                    + "): " + ClusterCommand.cause(e));
            return false;
        }
        report.results.add(versionResult(info.getMajor(), info.getMinor(), info.getGitVersion(),
                client.getMasterUrl().toString()));
        return true;
    }

    static Result versionResult(String major, String minor, String gitVersion, String url) {
        Matcher m = Pattern.compile("(\\d+)").matcher(minor == null ? "" : minor);
        String where = url + " runs Kubernetes " + gitVersion;
        if (!"1".equals(major) || !m.lookingAt()) {
            return new Result(Level.WARN, "api-server", where + ": cannot tell its version (major '" + major
                    + "', minor '" + minor + "')");
        }
        int n = Integer.parseInt(m.group(1));
        if (n < MIN_MINOR) {
            return new Result(Level.FAIL, "api-server", where + ": meshfed needs 1." + MIN_MINOR + " or newer (the "
                    + "istiod it runs with requires it): upgrade the cluster");
        }
        if (n > MAX_MINOR) {
            return new Result(Level.WARN, "api-server", where + ": newer than meshfed was tested with (1." + MIN_MINOR
                    + " to 1." + MAX_MINOR + ")");
        }
        return new Result(Level.OK, "api-server", where + " (supported: 1." + MIN_MINOR + " to 1." + MAX_MINOR + ")");
    }

    static void namespace(Report report, KubernetesClient client, String namespace, String fix) {
        String check = "namespace " + namespace;
        try {
            if (client.namespaces().withName(namespace).get() == null) {
                report.fail(check, "does not exist: " + (fix.startsWith("knative/") ? "kubectl apply -f " + fix : fix));
            } else {
                report.ok(check, "exists");
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() != 403) {
                throw unreachable(e);
            }
            report.warn(check, "you may not read namespaces: not checked");
        }
    }

    /** The API resources of {@code groupVersion} by discovery, or null when it is not served. */
    static APIResourceList apiResources(KubernetesClient client, String groupVersion) {
        try {
            return client.getApiResources(groupVersion);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return null;
            }
            throw unreachable(e);
        }
    }

    /** A bundled manifest; in RBAC, meshfed's namespaces replaced by the ones given (as the Helm chart does). */
    static List<HasMetadata> load(KubernetesClient client, String path, String... namespaces) {
        try (InputStream in = CheckCommand.class.getClassLoader().getResourceAsStream(MANIFESTS + path)) {
            if (in == null) {
                throw new IllegalStateException("the CLI jar lacks " + MANIFESTS + path);
            }
            String yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (namespaces.length == 2) {
                yaml = yaml.replaceAll("(?m)(namespace:\\s*)meshfed-pki\\s*$", "$1\u0000" + namespaces[1])
                        .replaceAll("(?m)(namespace:\\s*)meshfed\\s*$", "$1" + namespaces[0]).replace("\u0000", "");
            }
            return client.load(new java.io.ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items()
                    .stream().filter(Objects::nonNull).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + MANIFESTS + path, e);
        }
    }

    private static JsonNode tree(KubernetesClient client, Object value) {
        if (value == null) {
            return JsonNodeFactory.instance.missingNode();
        }
        try {
            return Output.JSON.readTree(client.getKubernetesSerialization().asJson(value));
        } catch (IOException e) {
            throw new IllegalStateException("fabric8 wrote JSON that does not parse", e);
        }
    }

    private static CommandFailedException unreachable(KubernetesClientException e) {
        return new CommandFailedException(ExitCodes.UNREACHABLE, "the API server failed a check: "
                + ClusterCommand.cause(e), e);
    }
}
