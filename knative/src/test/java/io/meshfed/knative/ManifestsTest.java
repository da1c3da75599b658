package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
            if (!(r instanceof Namespace) && !(r instanceof CustomResourceDefinition)) {
                assertEquals(NS, r.getMetadata().getNamespace(), where + " namespace");
            }
        }
    }

    @Test
    void functionsScaleToZeroAndTheBridgeNever() {
        List<Service> services = Manifests.of(Service.class);
        assertEquals(Set.of("meshfed-registration", "meshfed-export", "meshfed-pki", "meshfed-xds-bridge"),
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
                assertEquals("1", scale.get("autoscaling.knative.dev/min-scale"));
                assertEquals(8080, container.getPorts().get(0).getContainerPort(),
                        "Knative routes the CloudEvents sink on Quarkus's HTTP port");
                assertNotNull(container.getReadinessProbe().getHttpGet().getPath(), "readiness from a health endpoint");
                var grpc = Manifests.named(io.fabric8.kubernetes.api.model.Service.class, "meshfed-xds-bridge-grpc");
                assertEquals(name, grpc.getSpec().getSelector().get("serving.knative.dev/service"));
                assertEquals(15010, grpc.getSpec().getPorts().get(0).getTargetPort().getIntVal(),
                        "the direct Service reaches the ADS server's own h2c port");
                assertEquals("kubernetes.io/h2c", grpc.getSpec().getPorts().get(0).getAppProtocol());
            } else {
                assertEquals("0", scale.get("autoscaling.knative.dev/min-scale"), name + " scales to zero");
                assertTrue(spec.getContainerConcurrency() > 0, name + " bounds requests per pod");
            }
        }
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
    void everyRoleIsBoundToItsOwnAccountAndNoneReachesOutsideTheNamespace() {
        List<Role> roles = Manifests.of(Role.class);
        assertEquals(4, roles.size());
        for (Role role : roles) {
            RoleBinding b = Manifests.named(RoleBinding.class, role.getMetadata().getName());
            assertEquals(role.getMetadata().getName(), b.getRoleRef().getName());
            assertEquals(role.getMetadata().getName(), b.getSubjects().get(0).getName());
            role.getRules().forEach(r -> assertFalse(r.getVerbs().contains("*") || r.getResources().contains("*"),
                    role.getMetadata().getName() + " has a wildcard rule"));
        }
        assertFalse(grants("meshfed-xds-bridge", "secrets"), "the bridge reads no Secrets");
        assertFalse(grants("meshfed-export", "secrets", "create"), "export never writes Secrets");
        assertTrue(grants("meshfed-registration", "meshclusters", "create"));
        assertTrue(grants("meshfed-export", "configmaps", "update"), "export owns the catalogs");
    }

    private static boolean grants(String role, String resource, String... verbs) {
        return Manifests.named(Role.class, role).getRules().stream().anyMatch(r -> r.getResources().contains(resource)
                && r.getVerbs().containsAll(Arrays.asList(verbs)));
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
            assertEquals(Set.of("type"), filter.keySet(), name + ": deploy.sh passes only a type filter");
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
    void istiodConfigSourcesDialTheBridgeAndKeepKubernetes() throws Exception {
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(Manifests.MODULE.resolve("istio/istiod-config-sources.yaml").toFile());
        List<String> addresses = new ArrayList<>();
        yaml.path("meshConfig").path("configSources").forEach(s -> addresses.add(s.path("address").asText()));
        assertEquals(2, addresses.size());
        URI xds = URI.create(addresses.get(0));
        assertEquals("xds", xds.getScheme());
        int port = Manifests.named(io.fabric8.kubernetes.api.model.Service.class, "meshfed-xds-bridge-grpc").getSpec()
                .getPorts().get(0).getPort();
        assertEquals(port, xds.getPort());
        assertEquals("k8s://", addresses.get(1));
    }

    private static boolean hasProperties(String module) {
        return Manifests.ROOT.resolve(module).resolve("src/main/resources/application.properties").toFile().isFile();
    }

    private static boolean isFunqy(String module) {
        Path pom = Manifests.ROOT.resolve(module).resolve("pom.xml");
        return pom.toFile().isFile() && Manifests.read(Manifests.ROOT.resolve(module).resolve("pom.xml")).contains("quarkus-funqy-knative-events");
    }

    private static Set<String> knownEventTypes() {
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
    private static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen) {
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
