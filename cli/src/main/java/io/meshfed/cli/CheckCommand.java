package io.meshfed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
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
                    + "Services (when Knative Serving is installed), the components' RBAC, and what you may do with "
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
                    Object rawStatus = ksvc.getAdditionalProperties().get("status");
                    JsonNode status = rawStatus == null ? JsonNodeFactory.instance.objectNode()
                            : Output.JSON.valueToTree(rawStatus);
                    JsonNode ready = null;
                    for (JsonNode c : status.path("conditions")) {
                        if ("Ready".equals(c.path("type").asText())) {
                            ready = c;
                        }
                    }
                    if (ready == null) {
                        report.fail(check, "no Ready condition yet: is Knative Serving's controller running? "
                                + "(kubectl describe ksvc " + name + " -n " + namespace + ")");
                    } else if (!"True".equals(ready.path("status").asText())) {
                        report.fail(check, "not Ready: " + ready.path("reason").asText("") + " "
                                + ready.path("message").asText("") + " (kubectl describe ksvc " + name + " -n "
                                + namespace + ")");
                    } else {
                        report.ok(check, "Ready" + (status.hasNonNull("url") ? ", " + status.get("url").asText() : ""));
                    }
                }
            }
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
                    + "with and its RBAC (SubjectAccessReview), and the CSR agent's ServiceAccount."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed check workload --kubeconfig ~/.kube/east.yaml",
                "  bin/meshfed check workload --context east --reader-namespace meshfed-system"})
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
            }
            return report.print(root.output(), "workload cluster");
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
