package io.meshfed.xds.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.policy.PolicyConfig;
import io.meshfed.store.KubernetesPolicyStore;
import io.meshfed.xds.cache.ConfigWatcher;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.Resource;
import io.meshfed.xds.cache.Snapshot;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.TypeSnapshot;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import io.meshfed.xds.mcp.IstioProtos;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Policies stored as custom resources (fabric8's CRUD mock, through {@link KubernetesPolicyStore}) reach an istiod's
 * node group as MCP resources of their own types, a merged DestinationRule replaces federation's, the bodies convert
 * back to exactly the translator's objects, and each policy's per-cluster status is written to its status.
 */
class PolicyDeliveryTest {
    ManagementCluster mgmt;
    SnapshotCache cache;
    CatalogFeed feed;
    KubernetesPolicyStore store;

    @BeforeEach
    void setUp() {
        mgmt = new ManagementCluster();
        mgmt.seed();
        cache = new SnapshotCache();
        store = new KubernetesPolicyStore(mgmt.client, ManagementCluster.NAMESPACE);
        IstioFederationTranslator federation = new IstioFederationTranslator();
        feed = new CatalogFeed(mgmt.clusters, mgmt.catalogs, cache, new EnvoyTranslator(EnvoyPolicy.DEFAULT),
                FederationMcpTranslator.incremental(federation), Clock.systemUTC(), store, federation);
    }

    @AfterEach
    void tearDown() {
        mgmt.close();
    }

    private void write(String kind, String name, Map<String, Object> spec) {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion("meshfed.io/v1alpha1");
        r.setKind(kind);
        r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name)
                .withNamespace(ManagementCluster.NAMESPACE).build());
        r.setAdditionalProperty("spec", spec);
        mgmt.client.genericKubernetesResources(kind.equals("TrafficPolicy") ? KubernetesPolicyStore.TRAFFIC
                : KubernetesPolicyStore.ACCESS).inNamespace(ManagementCluster.NAMESPACE).resource(r).create();
    }

    private static ConfigWatcher.SnapshotListener ignore() {
        return new ConfigWatcher.SnapshotListener() {
            @Override
            public void onSnapshot(Snapshot s) {
            }

            @Override
            public void onClusterRemoved(String cluster) {
            }
        };
    }

    private static Map<String, Resource> resources(Snapshot s, String typeUrl) {
        TypeSnapshot t = s.resources(TypeUrls.key(typeUrl));
        return t == null ? Map.of() : t.resources();
    }

    @Test
    void policiesReachTheIstiodGroupAndTheirStatusesTheStore() throws Exception {
        feed.loadAll();
        try (ConfigWatcher.Watch east = cache.watch(NodeGroup.istio("east"), ignore())) {
            assertEquals(Set.of(), resources(east.current(), "networking.istio.io/v1/VirtualService").keySet());
            write("TrafficPolicy", "echo-shift", Map.of("destination", Map.of("namespace", "demo", "service", "echo"),
                    "trafficShift", List.of(Map.of("cluster", "east", "weight", 10), Map.of("cluster", "west",
                            "weight", 90)),
                    "timeout", "2s", "retries", Map.of("attempts", 2, "retryOn", List.of("resource-exhausted")),
                    "hedging", Map.of("initialRequests", 2),
                    "retryBudget", Map.of("percent", 20),
                    "outlierDetection", Map.of("consecutiveErrors", 2)));
            write("TrafficPolicy", "echo-timeout", Map.of("destination", Map.of("namespace", "demo"),
                    "timeout", "9s"));
            write("AccessPolicy", "frontend", Map.of("destination", Map.of("namespace", "demo"),
                    "from", List.of(Map.of("namespace", "web", "serviceAccount", "frontend"))));
            write("TrafficPolicy", "broken", Map.of("destination", Map.of("namespace", "demo"), "timeout", "soon"));
            feed.refreshPolicies();

            Snapshot s = east.current();
            PolicyConfig config = feed.policyConfigs().get("east");
            assertEquals(1, config.virtualServices().size());
            assertSameBody(config.virtualServices().get(0), resources(s, "networking.istio.io/v1/VirtualService"),
                    io.fabric8.istio.api.api.networking.v1alpha3.VirtualService.class);
            assertSameBody(config.authorizationPolicies().get(0),
                    resources(s, "security.istio.io/v1/AuthorizationPolicy"),
                    io.fabric8.istio.api.api.security.v1beta1.AuthorizationPolicy.class);
            assertSameBody(config.envoyFilters().get(0), resources(s, "networking.istio.io/v1alpha3/EnvoyFilter"),
                    io.fabric8.istio.api.api.networking.v1alpha3.EnvoyFilter.class);
            Map<String, Resource> rules = resources(s, "networking.istio.io/v1/DestinationRule");
            assertEquals(3, config.destinationRules().size(), "the cluster-set rule and one per exporter");
            for (var dr : config.destinationRules()) {
                assertSameBody(dr, rules, io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule.class);
            }

            Map<String, List<PolicyStatus>> statuses = store.statuses();
            assertEquals(PolicyStatus.State.Applied, statuses.get("TrafficPolicy/echo-shift").get(0).state());
            assertEquals(List.of("east", "west"), statuses.get("TrafficPolicy/echo-timeout").stream()
                    .map(PolicyStatus::cluster).toList());
            assertEquals(PolicyStatus.State.Conflict, statuses.get("TrafficPolicy/echo-timeout").get(0).state());
            PolicyStatus broken = statuses.get("TrafficPolicy/broken").get(0);
            assertEquals(PolicyStatus.State.Invalid, broken.state());
            assertTrue(broken.messages().get(0).contains("spec.timeout"), broken.toString());

            // a catalog change with policies stored: west now exports demo/cart, which echo-timeout selects too
            mgmt.catalogs.put(ManagementCluster.catalog(ManagementCluster.WEST, 2,
                    ManagementCluster.service("demo", "echo", "10.2.0.1", ManagementCluster.WEST_A),
                    ManagementCluster.service("demo", "cart", "10.2.0.2", ManagementCluster.WEST_A)), 1);
            feed.refresh("west");
            assertEquals(Set.of("demo/cart.clusterset", "demo/echo.clusterset"),
                    resources(east.current(), "networking.istio.io/v1/VirtualService").keySet());
            PolicyStatus timeout = store.statuses().get("TrafficPolicy/echo-timeout").get(0);
            assertEquals(List.of("demo/cart"), timeout.services(), "echo's timeout stays echo-shift's: " + timeout);
            assertEquals(PolicyStatus.State.Conflict, timeout.state());

            // deleting every policy gives federation's config back, and nothing of the policies
            for (var kind : List.of(KubernetesPolicyStore.TRAFFIC, KubernetesPolicyStore.ACCESS)) {
                mgmt.client.genericKubernetesResources(kind).inNamespace(ManagementCluster.NAMESPACE).delete();
            }
            feed.refreshPolicies();
            assertEquals(Map.of(), resources(east.current(), "networking.istio.io/v1/VirtualService"));
            assertEquals(Map.of(), feed.policyConfigs());
        }
    }

    /** The MCP resource named like {@code object} carries exactly its spec (proto back to fabric8). */
    private static <T> void assertSameBody(HasMetadata object, Map<String, Resource> served, Class<T> specType)
            throws Exception {
        String name = object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
        Resource r = served.get(name);
        assertTrue(r != null, name + " is served; served: " + served.keySet());
        io.meshfed.xds.mcp.proto.mcp.Resource mcp = (io.meshfed.xds.mcp.proto.mcp.Resource) r.message();
        Message body = mcp.getBody().unpack(bodyClass(specType));
        Object spec = object.getClass().getMethod("getSpec").invoke(object);
        String expected = io.fabric8.kubernetes.client.utils.Serialization.asJson(spec);
        String actual = io.fabric8.kubernetes.client.utils.Serialization.asJson(IstioProtos.toFabric8(body, specType));
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        // numbers by value: an EnvoyFilter's patch is a protobuf Struct, whose numbers are all doubles
        assertTrue(json.readTree(expected).equals((a, b) -> a.equals(b) || a.isNumber() && b.isNumber()
                && a.decimalValue().compareTo(b.decimalValue()) == 0 ? 0 : 1, json.readTree(actual)),
                name + ": expected " + expected + " but was " + actual);
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Message> bodyClass(Class<?> specType) {
        String simple = specType.getSimpleName();
        String pkg = specType.getPackageName().contains("security") ? "io.meshfed.xds.mcp.proto.security"
                : "io.meshfed.xds.mcp.proto.networking";
        try {
            return (Class<? extends Message>) Class.forName(pkg + "." + simple);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }
}
