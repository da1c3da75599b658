package io.meshfed.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntryResolution;
import io.fabric8.istio.api.api.networking.v1alpha3.WorkloadEntry;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.InvalidSpecException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The rules the goldens illustrate, asserted directly so a regenerated golden cannot silently break them. */
class TranslatorBehaviourTest {
    private static final Pattern DNS1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private final IstioFederationTranslator translator = new IstioFederationTranslator();

    private static ServiceEntry entry(FederationConfig config, String name) {
        return config.serviceEntries().stream().filter(se -> se.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no ServiceEntry " + name));
    }

    /**
     * The endpoints {@code se} routes to as istiod finds them: inline, or the WorkloadEntries of its namespace whose
     * labels (spec and metadata, merged) carry every label of its workload selector, in name order.
     */
    static List<WorkloadEntry> endpoints(FederationConfig config, ServiceEntry se) {
        if (se.getSpec().getWorkloadSelector() == null) {
            return se.getSpec().getEndpoints();
        }
        Map<String, String> selector = se.getSpec().getWorkloadSelector().getLabels();
        List<WorkloadEntry> out = new ArrayList<>();
        for (io.fabric8.istio.api.networking.v1.WorkloadEntry we : config.workloadEntries()) {
            Map<String, String> labels = new java.util.HashMap<>(we.getSpec().getLabels());
            labels.putAll(we.getMetadata().getLabels());
            if (we.getMetadata().getNamespace().equals(se.getMetadata().getNamespace())
                    && labels.entrySet().containsAll(selector.entrySet())) {
                out.add(we.getSpec());
            }
        }
        return out;
    }

    @Test
    void remoteEndpointsAreGatewaysAcrossNetworksAndPodsOnAFlatNetwork() {
        for (boolean flat : List.of(true, false)) {
            List<ClusterCatalog> catalogs = List.of(
                    Fixtures.catalog(Fixtures.cluster("east", "n1", "r1", "r1-a", "203.0.113.1"), 1,
                            Fixtures.service("shop", "cart", List.of(new io.meshfed.model.ServicePort("http", 80,
                                    "HTTP", 8080)), Fixtures.endpoint("10.0.0.1", "r1", "r1-a", true),
                                    Fixtures.endpoint("10.0.0.2", "r1", "r1-a", false))),
                    Fixtures.catalog(Fixtures.cluster("west", flat ? "n1" : "n2", "r2", "r2-a", "203.0.113.2"), 1));
            FederationConfig config = translator.translate(catalogs, "west", Fixtures.T0);
            ServiceEntry se = entry(config, "cart.east.global");
            assertTrue(se.getSpec().getEndpoints().isEmpty(), "endpoints are WorkloadEntries, not inline");
            List<WorkloadEntry> eps = endpoints(config, se);
            assertEquals(1, eps.size(), "the not-ready pod is not routable");
            assertEquals(flat ? "10.0.0.1" : "203.0.113.1", eps.get(0).getAddress());
            assertEquals(Map.of("http", flat ? 8080L : 15443L), eps.get(0).getPorts());
            assertEquals("r1/r1-a", eps.get(0).getLocality());
            assertEquals("n1", eps.get(0).getNetwork());
            assertEquals(ServiceEntryResolution.STATIC, se.getSpec().getResolution());
            assertTrue(se.getSpec().getAddresses().get(0).matches("2(4\\d|5[0-5])\\.\\d+\\.\\d+\\.\\d+"));
        }
    }

    /**
     * Behind a gateway, one endpoint per (locality, labels) group of ready pods, weighted by the group's size;
     * checked against a direct computation for few and for many pods (which the translator groups in two ways).
     */
    @Test
    void gatewayEndpointsGroupReadyPodsByLocalityAndLabelsWhateverTheirNumber() {
        java.util.Random random = new java.util.Random(11);
        for (int pods : List.of(1, 5, 16, 17, 200)) {
            List<io.meshfed.model.ServiceEndpoint> eps = new ArrayList<>();
            java.util.TreeMap<String, java.util.TreeMap<String, Long>> expected = new java.util.TreeMap<>();
            for (int i = 0; i < pods; i++) {
                // "r1" and "r1-x" order differently as regions and as "region/zone" strings
                String region = List.of("r1", "r1-x", "r2").get(random.nextInt(3));
                String zone = region + "-" + (char) ('a' + random.nextInt(2));
                boolean ready = random.nextInt(4) != 0;
                String version = "v" + random.nextInt(3);
                eps.add(Fixtures.endpoint("10.1." + (i / 250) + "." + (i % 250 + 1), region, zone, ready,
                        "app", "cart", "version", version));
                if (ready) {
                    expected.computeIfAbsent(region + "/" + zone, k -> new java.util.TreeMap<>())
                            .merge("{app=cart, version=" + version + "}", 1L, Long::sum);
                }
            }
            List<ClusterCatalog> catalogs = List.of(
                    Fixtures.catalog(Fixtures.cluster("east", "n1", "r1", "r1-a", "203.0.113.1"), 1,
                            new io.meshfed.model.ExportedService("shop", "cart", Fixtures.http(80), eps)),
                    Fixtures.catalog(Fixtures.cluster("west", "n2", "r2", "r2-a", "203.0.113.2"), 1));
            List<String> got = new ArrayList<>();
            FederationConfig config = translator.translate(catalogs, "west", Fixtures.T0);
            for (WorkloadEntry e : endpoints(config, entry(config, "cart.east.global"))) {
                Map<String, String> pod = new java.util.TreeMap<>(e.getLabels());
                assertEquals("east", pod.remove(FederationLabels.ISTIO_CLUSTER));
                assertEquals("east", pod.remove(FederationLabels.SOURCE_CLUSTER));
                assertEquals("cart", pod.remove(FederationLabels.SERVICE));
                got.add(e.getLocality() + " " + pod + " " + e.getWeight());
            }
            List<String> want = new ArrayList<>();
            expected.forEach((locality, byLabels) -> byLabels.forEach((labels, n) ->
                    want.add(locality + " " + labels + " " + n)));
            got.sort(null); // WorkloadEntries come in name order
            want.sort(null);
            assertEquals(want, got, pods + " pods");
        }
    }

    @Test
    void namesAreUniqueDns1123AndTranslateAllEqualsTranslatePerTarget() {
        List<ClusterCatalog> catalogs = Fixtures.federation(6, 3, 30, 2);
        Map<String, FederationConfig> all = translator.translateAll(catalogs, Fixtures.T0);
        assertEquals(6, all.size());
        for (ClusterCatalog c : catalogs) {
            FederationConfig config = translator.translate(catalogs, c.clusterName(), Fixtures.T0);
            assertEquals(config, all.get(c.clusterName()));
            for (List<? extends HasMetadata> list : List.of(config.serviceEntries(), config.destinationRules(),
                    config.gateways())) {
                Set<String> seen = new HashSet<>();
                for (HasMetadata o : list) {
                    String name = o.getMetadata().getName();
                    assertTrue(DNS1123_SUBDOMAIN.matcher(name).matches() && name.length() <= 253, name);
                    assertTrue(seen.add(o.getMetadata().getNamespace() + "/" + name), "duplicate " + name);
                }
            }
            // 6 clusters x 30 cluster-specific hosts + 30 cluster-set hosts; VIPs all distinct
            assertEquals(210, config.serviceEntries().size());
            assertEquals(210, config.serviceEntries().stream().map(se -> se.getSpec().getAddresses().get(0))
                    .distinct().count());
        }
    }

    @Test
    void theSameHostHasTheSameVirtualIpInEveryCluster() {
        List<ClusterCatalog> catalogs = Fixtures.federation(4, 2, 10, 1);
        Map<String, FederationConfig> all = translator.translateAll(catalogs, Fixtures.T0);
        Map<String, String> vipByHost = new java.util.HashMap<>();
        for (FederationConfig config : all.values()) {
            for (ServiceEntry se : config.serviceEntries()) {
                String previous = vipByHost.putIfAbsent(se.getSpec().getHosts().get(0),
                        se.getSpec().getAddresses().get(0));
                assertTrue(previous == null || previous.equals(se.getSpec().getAddresses().get(0)));
            }
        }
    }

    @Test
    void badInputIsRejectedNamingTheProblem() {
        ClusterCatalog east = Fixtures.catalog(Fixtures.cluster("east", "n1", "r1", "r1-a", "203.0.113.1"), 1);
        InvalidSpecException missing = assertThrows(InvalidSpecException.class,
                () -> translator.translate(List.of(east), "west", Fixtures.T0));
        assertTrue(missing.getMessage().contains("targetCluster: 'west' is not among"), missing.getMessage());
        InvalidSpecException duplicate = assertThrows(InvalidSpecException.class,
                () -> translator.translate(List.of(east, east), "east", Fixtures.T0));
        assertTrue(duplicate.getMessage().contains("catalogs[1].cluster.name: duplicate cluster 'east'"),
                duplicate.getMessage());
        List<ClusterCatalog> withNull = new ArrayList<>();
        withNull.add(east);
        withNull.add(null);
        assertThrows(InvalidSpecException.class, () -> translator.translate(withNull, "east", Fixtures.T0));
        assertThrows(InvalidSpecException.class, () -> translator.translate(List.of(east), "east", null));
    }

    @Test
    void aDeregisteredClusterLeavesNothingBehind() {
        List<ClusterCatalog> three = Fixtures.federation(3, 3, 5, 2);
        FederationState state = translator.newState(Fixtures.clusterName(0));
        state.update(three, Fixtures.T0);
        FederationDelta delta = state.update(three.subList(0, 2), Fixtures.T0);
        assertEquals(5, delta.removedServiceEntries().size(), "the five cluster-2 hosts go");
        String rendered = GoldenFiles.render(state.snapshot());
        assertTrue(!rendered.contains("cluster-2"), rendered);
        assertEquals(Set.of("cluster-0", "cluster-1"), state.snapshot().catalogVersions().keySet());
    }
}
