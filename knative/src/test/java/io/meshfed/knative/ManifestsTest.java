package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.knative.eventing.v1.Broker;
import io.fabric8.knative.eventing.v1.Trigger;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.sources.v1.PingSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.EventTypes;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ManifestsTest {
    private static final String NS = "meshfed";
    /** The CA Secret's and the PKI audit records' own namespace. */
    private static final String PKI_NS = "meshfed-pki";
    private static final String MODULE_ANNOTATION = "meshfed.io/module";

    @Test
    void everyDocumentParsesIntoItsModelClassWithNoUnknownField() {
        List<Manifests.Parsed> all = Manifests.all();
        assertTrue(all.size() >= 25, "expected the whole install, found " + all.size() + " documents");
        for (Manifests.Parsed p : all) {
            String where = Manifests.DIR.relativize(p.file()) + " " + p.resource().getClass().getSimpleName();
            assertFalse(p.resource() instanceof GenericKubernetesResource,
                    where + ": kind unknown to the fabric8 model (typo in apiVersion/kind?)");
            List<String> unknown = new ArrayList<>();
            unknownFields(p.resource(), "", unknown, new IdentityHashMap<>());
            assertEquals(List.of(), unknown, where + ": fields the model does not know (typos?)");
            HasMetadata r = (HasMetadata) p.resource();
            if (PKI_NS.equals(r.getMetadata().getNamespace())) {
                assertTrue(r instanceof Role || r instanceof RoleBinding,
                        where + ": nothing but the PKI's own RBAC is shipped into " + PKI_NS);
            } else if (!(r instanceof Namespace) && !(r instanceof CustomResourceDefinition)) {
                assertEquals(NS, r.getMetadata().getNamespace(), where + " namespace");
            }
        }
        assertEquals(Set.of(NS, PKI_NS), Manifests.of(Namespace.class).stream().map(n -> n.getMetadata().getName())
                .collect(Collectors.toSet()));
    }

    @Test
    void functionsScaleToZeroAndTheBridgeNever() {
        List<Service> services = Manifests.of(Service.class);
        assertEquals(Set.of("meshfed-registration", "meshfed-export", "meshfed-pki", "meshfed-xds-bridge",
                "meshfed-workload-events"),
                services.stream().map(s -> s.getMetadata().getName()).collect(Collectors.toSet()));
        Set<String> accounts = Manifests.of(ServiceAccount.class).stream().map(a -> a.getMetadata().getName())
                .collect(Collectors.toSet());
        for (Service s : services) {
            String name = s.getMetadata().getName();
            var spec = s.getSpec().getTemplate().getSpec();
            Map<String, String> scale = s.getSpec().getTemplate().getMetadata().getAnnotations();
            assertNotNull(spec.getContainerConcurrency(), name + " containerConcurrency is set deliberately");
            assertNotNull(spec.getTimeoutSeconds(), name + " timeoutSeconds is set deliberately");
            assertTrue(spec.getTimeoutSeconds() > 0 && spec.getTimeoutSeconds() <= 600,
                    name + " timeout within Knative's default max-revision-timeout-seconds");
            assertTrue(accounts.contains(spec.getServiceAccountName()), name + " runs as its own ServiceAccount");
            // The module, or while it is being written (no pom yet) its parent: a typo fails either way.
            Path module = Manifests.ROOT.resolve(s.getMetadata().getAnnotations().get(MODULE_ANNOTATION));
            assertTrue(module.resolve("pom.xml").toFile().isFile() || module.getParent().resolve("pom.xml").toFile()
                    .isFile(), name + " names a module of this repository: " + module);
            var container = spec.getContainers().get(0);
            if (name.equals("meshfed-xds-bridge")) {
                assertEquals("2", scale.get("autoscaling.knative.dev/min-scale"), "two replicas, never zero");
                var pdb = Manifests.named(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class,
                        "meshfed-xds-bridge");
                assertEquals(1, pdb.getSpec().getMinAvailable().getIntVal(), "one bridge up through disruptions");
                assertEquals(Map.of("serving.knative.dev/service", name), pdb.getSpec().getSelector().getMatchLabels());
                assertEquals(8080, container.getPorts().get(0).getContainerPort(),
                        "Knative routes the CloudEvents sink on Quarkus's HTTP port");
                assertNotNull(container.getReadinessProbe().getHttpGet().getPath(), "readiness from a health endpoint");
                var grpc = Manifests.named(io.fabric8.kubernetes.api.model.Service.class, "meshfed-xds-bridge-grpc");
                assertEquals(name, grpc.getSpec().getSelector().get("serving.knative.dev/service"));
                assertEquals(15010, grpc.getSpec().getPorts().get(0).getTargetPort().getIntVal(),
                        "the direct Service reaches the ADS server's own port");
                assertEquals("tls", grpc.getSpec().getPorts().get(0).getAppProtocol(),
                        "TLS end to end: only the bridge may terminate it, or the client certificate is lost");
            } else {
                assertEquals("0", scale.get("autoscaling.knative.dev/min-scale"), name + " scales to zero");
                assertTrue(spec.getContainerConcurrency() > 0, name + " bounds requests per pod");
            }
        }
    }

    /**
     * Only the PKI function and the workload-events entry take requests from outside the cluster; each authenticates
     * every request itself, with a TokenReview on the cluster the request names.
     */
    @Test
    void onlyThePkiAndTheWorkloadEventsEntryAreReachableFromOutsideTheCluster() {
        for (Service s : Manifests.of(Service.class)) {
            String name = s.getMetadata().getName();
            String visibility = s.getMetadata().getLabels().get("networking.knative.dev/visibility");
            if (name.equals("meshfed-pki")) {
                assertNull(visibility, "CSR agents in workload clusters call the PKI function directly");
            } else if (name.equals(WORKLOAD_EVENTS)) {
                assertNull(visibility, "ApiServerSources in workload clusters post to the workload-events entry");
            } else {
                assertEquals("cluster-local", visibility, name + " receives events from the Broker only");
            }
        }
    }

    /** The ADS port's TLS material comes from a Secret volume and reaches the bridge under its property names. */
    @Test
    void theBridgeServesMutualTlsFromAMountedSecret() {
        var spec = Manifests.named(Service.class, "meshfed-xds-bridge").getSpec().getTemplate().getSpec();
        var container = spec.getContainers().get(0);
        Map<String, String> env = container.getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
        Set<String> tlsProperties = bridgeTlsProperties();
        for (String property : List.of("cert-file", "key-file", "client-ca-file")) {
            assertTrue(tlsProperties.contains(property), "BridgeConfig.Tls has no " + property + ": " + tlsProperties);
            String variable = "MESHFED_XDS_TLS_" + property.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
            String file = env.get(variable);
            assertNotNull(file, variable + " is set: with TLS off the ADS port would serve loopback only");
            var mount = container.getVolumeMounts().stream().filter(m -> file.startsWith(m.getMountPath() + "/"))
                    .findFirst().orElseThrow(() -> new AssertionError(variable + "=" + file + " is under no mount"));
            assertTrue(Boolean.TRUE.equals(mount.getReadOnly()), mount.getName() + " is mounted read-only");
            var volume = spec.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                    .orElseThrow();
            assertNotNull(volume.getSecret(), "the key comes from a Secret, never from the image or a ConfigMap");
        }
        // Every TLS variable the manifest sets names a property the bridge has (a renamed one would be ignored).
        env.keySet().stream().filter(k -> k.startsWith("MESHFED_XDS_TLS_")).forEach(k -> assertTrue(
                tlsProperties.contains(k.substring("MESHFED_XDS_TLS_".length()).toLowerCase(java.util.Locale.ROOT)
                        .replace('_', '-')), k + " names no property of BridgeConfig.Tls " + tlsProperties));
    }

    /** meshfed.xds.tls.* property names, read from BridgeConfig.Tls's methods (camelCase → kebab-case). */
    private static Set<String> bridgeTlsProperties() {
        String src = Manifests.read(Manifests.ROOT.resolve(
                "xds-bridge/app/src/main/java/io/meshfed/xds/app/BridgeConfig.java"));
        int start = src.indexOf("interface Tls");
        assertTrue(start >= 0, "BridgeConfig has a Tls group");
        String body = src.substring(start, src.indexOf("\n    }", start));
        Set<String> out = new TreeSet<>();
        var m = java.util.regex.Pattern.compile("\\s(\\w+)\\(\\);").matcher(body);
        while (m.find()) {
            out.add(m.group(1).replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT));
        }
        return out;
    }

    @Test
    void crdSchemaHasExactlyTheModelsFields() {
        CustomResourceDefinition crd = Manifests.named(CustomResourceDefinition.class, "meshclusters.meshfed.io");
        assertEquals("meshfed.io", crd.getSpec().getGroup());
        assertEquals("MeshCluster", crd.getSpec().getNames().getKind());
        assertEquals("Namespaced", crd.getSpec().getScope());
        assertEquals("v1alpha1", crd.getSpec().getVersions().get(0).getName());
        JSONSchemaProps spec = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()
                .getProperties().get("spec");
        Set<String> clusterFields = components(MeshCluster.class);
        clusterFields.remove("name"); // the resource's own name
        assertEquals(clusterFields, spec.getProperties().keySet());
        assertEquals(components(Locality.class), spec.getProperties().get("locality").getProperties().keySet());
        assertEquals(components(GatewayAddress.class),
                spec.getProperties().get("eastWestGateway").getProperties().keySet());
        assertEquals(components(ApiServerRef.class), spec.getProperties().get("apiServer").getProperties().keySet());
        assertFalse(spec.getRequired().contains("apiServer"), "clusters without API access are valid");
    }

    @Test
    void everyRoleIsBoundToItsOwnAccountAndNoneReachesOutsideItsNamespace() {
        List<Role> roles = Manifests.of(Role.class);
        assertEquals(8, roles.size(), "one per function and the bridge, the PKI's second in " + PKI_NS
                + ", the operators' two");
        assertEquals(List.of(), Manifests.of(ClusterRole.class), "the management install grants nothing cluster-wide");
        assertEquals(List.of(), Manifests.of(ClusterRoleBinding.class));
        for (Role role : roles) {
            String name = role.getMetadata().getName();
            String ns = role.getMetadata().getNamespace();
            RoleBinding b = Manifests.of(RoleBinding.class).stream().filter(x -> x.getMetadata().getName().equals(name)
                    && x.getMetadata().getNamespace().equals(ns)).findFirst().orElseThrow(() -> new AssertionError(
                            "no RoleBinding " + ns + "/" + name));
            assertEquals(name, b.getRoleRef().getName());
            assertEquals("Role", b.getRoleRef().getKind());
            assertEquals(1, b.getSubjects().size(), name);
            var subject = b.getSubjects().get(0);
            if (name.equals("meshfed-operator") || name.equals(PKI_PUBLIC)) {
                assertEquals("Group", subject.getKind(), "operators are people, bound by group");
            } else {
                assertEquals(List.of("ServiceAccount", name, NS),
                        List.of(subject.getKind(), subject.getName(), subject.getNamespace()), ns + "/" + name);
            }
            role.getRules().forEach(r -> assertFalse(r.getVerbs().contains("*") || r.getResources().contains("*"),
                    name + " has a wildcard rule"));
        }
        assertFalse(grants(NS, "meshfed-xds-bridge", "secrets"), "the bridge reads no Secrets");
        assertTrue(grants(NS, "meshfed-xds-bridge", "meshclusters/status", "patch"),
                "the bridge's IstiodConnected condition, by server-side apply");
        assertFalse(grants(NS, "meshfed-xds-bridge", "meshclusters", "patch")
                || grants(NS, "meshfed-xds-bridge", "meshclusters", "update"), "the bridge never writes a spec");
        assertFalse(grants(NS, "meshfed-export", "secrets", "create"), "export never writes Secrets");
        assertTrue(grants(NS, "meshfed-registration", "meshclusters", "create"));
        assertTrue(grants(NS, "meshfed-export", "configmaps", "update"), "export owns the catalogs");
        var operator = Manifests.named(Role.class, "meshfed-operator").getRules();
        assertEquals(1, operator.size());
        assertEquals(List.of("serviceaccounts/token"), operator.get(0).getResources());
        assertEquals(List.of("meshfed-operator"), operator.get(0).getResourceNames(),
                "operators may mint the operator identity's tokens, nothing more");
    }

    /**
     * The CA key and the audit records are in {@value #PKI_NS}, where only the PKI function's account is bound; its
     * Secret access there is the CA Secret by name (plus create, which RBAC cannot limit by name), never list. The
     * function is told that namespace, and the Secret name agrees with the function's own setting.
     */
    @Test
    void onlyThePkiFunctionReachesTheCaKey() {
        for (RoleBinding b : Manifests.of(RoleBinding.class)) {
            if (PKI_NS.equals(b.getMetadata().getNamespace()) && !b.getMetadata().getName().equals(PKI_PUBLIC)) {
                b.getSubjects().forEach(sub -> assertEquals(List.of("ServiceAccount", "meshfed-pki", NS),
                        List.of(sub.getKind(), sub.getName(), sub.getNamespace()),
                        b.getMetadata().getName() + " binds someone else in " + PKI_NS));
            }
        }
        Role pki = roleIn(PKI_NS, "meshfed-pki");
        // Operators read the public copy of the CA state there, by name, and nothing else.
        var publicCopy = roleIn(PKI_NS, PKI_PUBLIC).getRules();
        assertEquals(1, publicCopy.size());
        assertEquals(List.of("configmaps"), publicCopy.get(0).getResources());
        assertEquals(List.of(caSecretPublicCopy()), publicCopy.get(0).getResourceNames());
        assertEquals(List.of("get"), publicCopy.get(0).getVerbs());
        String caSecret = Manifests.property("pki-function/function", "meshfed.pki.ca-secret");
        for (var rule : pki.getRules()) {
            if (rule.getResources().contains("secrets")) {
                assertFalse(rule.getVerbs().contains("list") || rule.getVerbs().contains("watch"),
                        "listing Secrets returns their data: " + rule);
                if (!rule.getVerbs().equals(List.of("create"))) {
                    assertEquals(List.of(caSecret), rule.getResourceNames(), "only the CA Secret, by name: " + rule);
                }
            }
        }
        assertTrue(grants(PKI_NS, "meshfed-pki", "configmaps", "create", "update", "delete"), "the audit records");
        // In meshfed the PKI reads clusters and their credentials (TokenReviews), and writes nothing but its own
        // condition on the clusters' status.
        for (var rule : roleIn(NS, "meshfed-pki").getRules()) {
            if (rule.getResources().equals(List.of("meshclusters/status"))) {
                assertEquals(List.of("patch"), rule.getVerbs(), "its status condition, by server-side apply: " + rule);
                continue;
            }
            assertTrue(Set.of("get", "list").containsAll(rule.getVerbs()), "the PKI only reads in " + NS + ": " + rule);
        }
        assertTrue(grants(NS, "meshfed-pki", "secrets", "get"), "credentials for the TokenReview");
        var env = Manifests.named(Service.class, "meshfed-pki").getSpec().getTemplate().getSpec().getContainers().get(0)
                .getEnv().stream().collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
        assertEquals(PKI_NS, env.get("MESHFED_PKI_NAMESPACE"), "the function looks for its CA where RBAC lets it");
        assertEquals(NS, env.get("MESHFED_NAMESPACE"), "MeshClusters stay in the management namespace");
        // Every other Role lives in meshfed, so none can touch meshfed-pki's Secrets or ConfigMaps.
        for (Role r : Manifests.of(Role.class)) {
            if (!r.getMetadata().getName().equals("meshfed-pki") && !r.getMetadata().getName().equals(PKI_PUBLIC)) {
                assertEquals(NS, r.getMetadata().getNamespace(), r.getMetadata().getName());
            }
        }
    }

    static final String WORKLOAD_EVENTS = "meshfed-workload-events";

    /**
     * The workload-events entry reads in {@value #NS} exactly what the PKI function reads there (MeshClusters, and the
     * credential Secrets for its TokenReviews), writes nothing, is bound to nothing in {@value #PKI_NS}, and posts to
     * the Broker over HTTPS with a projected token for the Broker's audience alone.
     */
    @Test
    void theWorkloadEventsEntryReadsClustersAndCredentialsAndPostsWithABrokerToken() {
        Role role = roleIn(NS, WORKLOAD_EVENTS);
        assertEquals(roleIn(NS, "meshfed-pki").getRules().stream()
                .filter(r -> !r.getResources().equals(List.of("meshclusters/status"))).toList(), role.getRules(),
                "what the PKI reads for its TokenReviews, nothing more (and no status to write)");
        for (var rule : role.getRules()) {
            assertTrue(Set.of("get", "list").containsAll(rule.getVerbs()), "it only reads: " + rule);
            assertFalse(rule.getResources().contains("secrets") && rule.getVerbs().contains("list"),
                    "listing Secrets returns their data: " + rule);
        }
        assertTrue(Manifests.of(Role.class).stream().noneMatch(r -> r.getMetadata().getName().equals(WORKLOAD_EVENTS)
                && !r.getMetadata().getNamespace().equals(NS)), "its only Role is in " + NS);
        for (RoleBinding b : Manifests.of(RoleBinding.class)) {
            if (!b.getMetadata().getNamespace().equals(NS)) {
                b.getSubjects().forEach(sub -> assertFalse(WORKLOAD_EVENTS.equals(sub.getName()),
                        b.getMetadata().getNamespace() + "/" + b.getMetadata().getName() + " binds " + WORKLOAD_EVENTS
                                + ": it must not reach the CA key or the audit records"));
            }
        }

        Service service = Manifests.named(Service.class, WORKLOAD_EVENTS);
        var spec = service.getSpec().getTemplate().getSpec();
        assertEquals(WORKLOAD_EVENTS, spec.getServiceAccountName());
        var container = spec.getContainers().get(0);
        assertEquals(8080, container.getPorts().get(0).getContainerPort());
        assertEquals("/healthz", container.getReadinessProbe().getHttpGet().getPath());
        Map<String, String> env = container.getEnv().stream().collect(Collectors.toMap(e -> e.getName(),
                e -> e.getValue()));
        assertEquals(NS, env.get("MESHFED_NAMESPACE"), "MeshClusters and credentials are in the management namespace");
        Broker broker = Manifests.of(Broker.class).get(0);
        URI brokerUrl = URI.create(env.get("MESHFED_BROKER_URL"));
        assertEquals("https", brokerUrl.getScheme(), "with transport-encryption strict the ingress refuses plain HTTP");
        assertEquals("/" + broker.getMetadata().getNamespace() + "/" + broker.getMetadata().getName(),
                brokerUrl.getPath(), "the Broker ingress routes by path");
        String tokenFile = env.get("MESHFED_BROKER_TOKEN_FILE");
        var mount = container.getVolumeMounts().stream().filter(m -> tokenFile.startsWith(m.getMountPath() + "/"))
                .findFirst().orElseThrow(() -> new AssertionError(tokenFile + " is under no mount"));
        assertTrue(Boolean.TRUE.equals(mount.getReadOnly()), mount.getName() + " is mounted read-only");
        var token = spec.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
                .orElseThrow().getProjected().getSources().get(0).getServiceAccountToken();
        assertEquals(tokenFile, mount.getMountPath() + "/" + token.getPath());
        assertEquals(brokerAudience(broker), token.getAudience(), "a token for the Broker only");
        assertTrue(token.getExpirationSeconds() <= 3600, "short-lived");
        String caFile = env.get("MESHFED_BROKER_CA_FILE");
        var caMount = container.getVolumeMounts().stream().filter(m -> caFile.equals(m.getMountPath() + "/ca.crt"))
                .findFirst().orElseThrow(() -> new AssertionError(caFile + " is not ca.crt of a mount"));
        var caVolume = spec.getVolumes().stream().filter(v -> v.getName().equals(caMount.getName())).findFirst()
                .orElseThrow();
        assertEquals("meshfed-broker-ca", caVolume.getConfigMap().getName(),
                "Knative Eventing's CA, from the ConfigMap docs/deploy.md says to create");
        var security = container.getSecurityContext();
        assertEquals(List.of(true, false, true, List.of("ALL")), List.of(security.getRunAsNonRoot(),
                security.getAllowPrivilegeEscalation(), security.getReadOnlyRootFilesystem(),
                security.getCapabilities().getDrop()));
        // Every variable set here is one the module reads (a renamed one would be ignored), and the sender and
        // audience are its defaults; checked once the module's application.properties exists.
        Map<String, String> defaults = Manifests.environmentDefaults("functions/workload-events");
        if (!defaults.isEmpty()) {
            assertTrue(defaults.keySet().containsAll(env.keySet()),
                    "variables the module does not read: " + env.keySet() + " vs " + defaults.keySet());
            for (String variable : List.of("MESHFED_WORKLOAD_EVENTS_SENDER", "MESHFED_WORKLOAD_EVENTS_AUDIENCE")) {
                assertEquals(defaults.get(variable), env.get(variable), variable);
            }
        }
    }

    /**
     * The Broker's OIDC audience as Knative Eventing v0.50.0 sets it ({@code pkg/auth/audience.go GetAudience}:
     * {@code <group>/<kind>/<namespace>/<name>}, lower-cased), which the Broker publishes in
     * {@code .status.address.audience}.
     */
    static String brokerAudience(Broker broker) {
        return ("eventing.knative.dev/Broker/" + broker.getMetadata().getNamespace() + "/"
                + broker.getMetadata().getName()).toLowerCase(java.util.Locale.ROOT);
    }

    static final String PKI_PUBLIC = "meshfed-pki-public";

    /** The ConfigMap the PKI function writes its CA state's certificates to (KubernetesCaStore.publicCopyName). */
    private static String caSecretPublicCopy() {
        return Manifests.property("pki-function/function", "meshfed.pki.ca-secret") + "-public";
    }

    private static boolean grants(String ns, String role, String resource, String... verbs) {
        return roleIn(ns, role).getRules().stream().anyMatch(r -> r.getResources().contains(resource)
                && r.getVerbs().containsAll(Arrays.asList(verbs)));
    }

    private static Role roleIn(String ns, String name) {
        return Manifests.of(Role.class).stream().filter(r -> r.getMetadata().getName().equals(name)
                && r.getMetadata().getNamespace().equals(ns)).findFirst()
                .orElseThrow(() -> new AssertionError("no Role " + ns + "/" + name));
    }

    /** Trigger → service → module → Funqy mapping, and back: one routing table, checked both ways. */
    @Test
    void triggersAndFunqyMappingsMatchBothWays() {
        Map<String, String> moduleOf = Manifests.of(Service.class).stream().collect(Collectors.toMap(
                s -> s.getMetadata().getName(), s -> s.getMetadata().getAnnotations().get(MODULE_ANNOTATION)));
        Set<String> routed = new TreeSet<>(); // "module type" pairs the Triggers deliver by type
        Set<String> known = knownEventTypes();
        for (Trigger t : Manifests.triggers()) {
            String name = t.getMetadata().getName();
            assertEquals("meshfed", t.getSpec().getBroker(), name);
            Map<String, String> filter = t.getSpec().getFilter().getAttributes();
            assertEquals(Set.of("type"), filter.keySet(), name + ": Triggers filter on the type only (docs/deploy.md, Events and routing)");
            String type = filter.get("type");
            var subscriber = t.getSpec().getSubscriber();
            if (subscriber.getRef() != null) {
                String module = moduleOf.get(subscriber.getRef().getName());
                assertNotNull(module, name + " points at a service that is not in manifests/serving");
                assertTrue(known.contains(type), name + ": " + type + " is not in EventTypes");
                Map<String, String> mappings = Manifests.funqyMappings(module);
                // A module whose application.properties does not exist yet is not checked until it lands; a Funqy
                // module with properties must map every type its Triggers deliver.
                if (!mappings.isEmpty() || isFunqy(module) && hasProperties(module)) {
                    assertTrue(mappings.containsValue(type),
                            name + ": no Funqy mapping for " + type + " in " + module + " (has " + mappings + ")");
                }
                routed.add(module + " " + type);
            } else {
                // Delivered by path: Funqy calls /<function> whatever the type (used for PingSource events).
                URI uri = URI.create(subscriber.getUri());
                String service = uri.getHost().substring(0, uri.getHost().indexOf('.'));
                String function = uri.getPath().substring(1);
                Map<String, String> mappings = Manifests.funqyMappings(moduleOf.get(service));
                assertTrue(mappings.containsKey(function), name + ": " + uri + " names no Funqy function");
                assertTrue(uri.getHost().endsWith("." + NS + ".svc.cluster.local"), name + " " + uri);
            }
        }
        // Every mapping in every module has a Trigger that delivers its type to that module's service.
        int checked = 0;
        for (Path props : Manifests.allApplicationProperties()) {
            String module = Manifests.ROOT.relativize(props.getParent().getParent().getParent().getParent()).toString();
            for (var m : Manifests.funqyMappings(module).entrySet()) {
                assertTrue(moduleOf.containsValue(module), module + " has Funqy mappings but no Knative Service");
                assertTrue(routed.contains(module + " " + m.getValue()),
                        module + ": function " + m.getKey() + " (" + m.getValue() + ") has no Trigger");
                checked++;
            }
        }
        assertTrue(checked >= 5, "registration and export alone map 5 types; found " + checked);
    }

    @Test
    void pingSourceFeedsTheBrokerThatTheSyncTriggerReads() {
        PingSource ping = Manifests.of(PingSource.class).get(0);
        assertEquals("Broker", ping.getSpec().getSink().getRef().getKind());
        Broker broker = Manifests.named(Broker.class, ping.getSpec().getSink().getRef().getName());
        Trigger sync = Manifests.named(Trigger.class, "meshfed-export-periodic-sync");
        assertEquals(broker.getMetadata().getName(), sync.getSpec().getBroker());
        assertEquals("dev.knative.sources.ping", sync.getSpec().getFilter().getAttributes().get("type"));
        assertTrue(URI.create(sync.getSpec().getSubscriber().getUri()).getPath().equals("/sync"));
        assertEquals(EventTypes.SERVICE_EXPORT_SYNC, Manifests.funqyMappings("functions/export").get("sync"),
                "the path-routed function is the one that handles service.export.sync");
        assertTrue(ping.getSpec().getData().contains("\"cluster\""), "a sync names its cluster");
    }

    @Test
    void istiodConfigSourcesDialTheRelayOnLoopbackAndKeepKubernetes() throws Exception {
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(Manifests.MODULE.resolve("istio/istiod-config-sources.yaml").toFile());
        List<String> addresses = new ArrayList<>();
        yaml.path("meshConfig").path("configSources").forEach(s -> addresses.add(s.path("address").asText()));
        assertEquals(2, addresses.size());
        URI xds = URI.create(addresses.get(0));
        assertEquals("xds", xds.getScheme());
        // istiod cannot present the client certificate the bridge requires: it dials the xDS relay in its own pod
        // (xds-bridge/relay, RelaySettings.DEFAULT_LISTEN_PORT), which can
        assertEquals("127.0.0.1", xds.getHost());
        assertEquals(15011, xds.getPort());
        assertEquals("k8s://", addresses.get(1));
    }

    private static boolean hasProperties(String module) {
        return Manifests.ROOT.resolve(module).resolve("src/main/resources/application.properties").toFile().isFile();
    }

    private static boolean isFunqy(String module) {
        Path pom = Manifests.ROOT.resolve(module).resolve("pom.xml");
        return pom.toFile().isFile() && Manifests.read(Manifests.ROOT.resolve(module).resolve("pom.xml")).contains("quarkus-funqy-knative-events");
    }

    static Set<String> knownEventTypes() {
        return Arrays.stream(EventTypes.class.getFields()).filter(f -> Modifier.isStatic(f.getModifiers()))
                .filter(f -> !f.getName().equals("PREFIX")).map(f -> {
                    try {
                        return (String) f.get(null);
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e);
                    }
                }).collect(Collectors.toSet());
    }

    private static Set<String> components(Class<? extends Record> type) {
        return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Walks fabric8 model objects; any non-empty additionalProperties is a field the model does not know. */
    static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen) {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method g : o.getClass().getMethods()) {
            if (g.getParameterCount() != 0 || !g.getName().startsWith("get") || g.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v;
            try {
                v = g.invoke(o);
            } catch (ReflectiveOperationException e) {
                fail(e);
                return;
            }
            if (g.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + " " + extra.keySet());
                }
            } else {
                unknownFields(v, path + "." + g.getName().substring(3), out, seen);
            }
        }
    }
}
