package io.meshfed.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The incremental path ({@link FederationState}) against a fresh full translation, over random change sequences. */
class IncrementalTest {
    private static final Duration GRACE = Duration.ofMinutes(5);

    @Test
    void everyStepOfARandomChangeSequenceEqualsAFreshTranslation() {
        Random random = new Random(2024);
        IstioFederationTranslator translator = new IstioFederationTranslator(GRACE);
        Map<String, ClusterCatalog> catalogs = new TreeMap<>();
        for (int c = 0; c < 5; c++) {
            ClusterCatalog cat = randomCatalog(random, "c" + c, 1);
            catalogs.put(cat.clusterName(), cat);
        }
        String target = "c0";
        FederationState state = translator.newState(target);
        Instant now = Fixtures.T0;
        Map<String, HasMetadata> mirror = new TreeMap<>();
        int nonEmptyDeltas = 0;
        for (int step = 0; step < 300; step++) {
            now = now.plusSeconds(random.nextInt(120));
            mutate(random, catalogs, now, target);
            FederationDelta delta = state.update(new ArrayList<>(catalogs.values()), now);
            FederationConfig fresh = translator.translate(new ArrayList<>(catalogs.values()), target, now);
            assertEquals(fresh, state.snapshot(), "step " + step);
            // the delta, applied to the previous snapshot, gives the new one
            apply(mirror, delta);
            assertEquals(index(fresh), mirror, "delta of step " + step);
            if (!delta.isEmpty()) {
                nonEmptyDeltas++;
            }
        }
        assertTrue(nonEmptyDeltas > 100, "the sequence should change things, changed " + nonEmptyDeltas);
    }

    /**
     * One translator remembers the objects it built (TranslationMemo) and shares them across calls and targets;
     * at every step of a random change sequence, its states and its full translations for every target must equal
     * what a new translator, which remembers nothing, produces.
     */
    @Test
    void aTranslatorThatRemembersEarlierTranslationsGivesWhatANewOneGives() {
        Random random = new Random(77);
        IstioFederationTranslator shared = new IstioFederationTranslator(GRACE);
        Map<String, ClusterCatalog> catalogs = new TreeMap<>();
        for (int c = 0; c < 5; c++) {
            ClusterCatalog cat = randomCatalog(random, "c" + c, 1);
            catalogs.put(cat.clusterName(), cat);
        }
        Map<String, FederationState> states = new TreeMap<>();
        Instant now = Fixtures.T0;
        int compared = 0;
        for (int step = 0; step < 150; step++) {
            now = now.plusSeconds(random.nextInt(120));
            mutate(random, catalogs, now, "c0");
            List<ClusterCatalog> input = new ArrayList<>(catalogs.values());
            states.keySet().retainAll(catalogs.keySet());
            Map<String, FederationConfig> all = shared.translateAll(input, now);
            for (String target : catalogs.keySet()) {
                FederationConfig fresh = new IstioFederationTranslator(GRACE).translate(input, target, now);
                FederationState state = states.computeIfAbsent(target, shared::newState);
                state.update(input, now);
                assertEquals(fresh, state.snapshot(), "state of " + target + ", step " + step);
                assertEquals(fresh, shared.translate(input, target, now), "translate " + target + ", step " + step);
                assertEquals(fresh, all.get(target), "translateAll " + target + ", step " + step);
                compared++;
            }
        }
        assertTrue(compared > 400, "compared " + compared);
    }

    @Test
    void repeatedTranslationsShareTheObjectsTheyHaveInCommon() {
        List<ClusterCatalog> catalogs = Fixtures.federation(4, 2, 20, 3);
        IstioFederationTranslator translator = new IstioFederationTranslator();
        FederationConfig first = translator.translate(catalogs, Fixtures.clusterName(0), Fixtures.T0);
        FederationConfig second = translator.translate(catalogs, Fixtures.clusterName(2), Fixtures.T0);
        // cluster-0 and cluster-2 are on one network: cluster-1's objects are the same instances for both
        int shared = 0;
        for (int i = 0; i < first.serviceEntries().size(); i++) {
            io.fabric8.istio.api.networking.v1.ServiceEntry a = first.serviceEntries().get(i);
            if (a.getMetadata().getName().endsWith(".cluster-1.global")) {
                org.junit.jupiter.api.Assertions.assertSame(a, second.serviceEntries().stream()
                        .filter(b -> key(b).equals(key(a))).findFirst().orElseThrow());
                shared++;
            }
        }
        assertEquals(20, shared);
    }

    @Test
    void anUnchangedInputGivesAnEmptyDelta() {
        List<ClusterCatalog> catalogs = Fixtures.federation(4, 2, 20, 3);
        FederationState state = new IstioFederationTranslator().newState(Fixtures.clusterName(0));
        assertTrue(!state.update(catalogs, Fixtures.T0).isEmpty());
        assertTrue(state.update(catalogs, Fixtures.T0).isEmpty());
        // equal content, new instances: still nothing
        assertTrue(state.update(Fixtures.federation(4, 2, 20, 3), Fixtures.T0.plusSeconds(5)).isEmpty());
    }

    @Test
    void oneChangedServiceTouchesOnlyItsOwnObjects() {
        List<ClusterCatalog> catalogs = new ArrayList<>(Fixtures.federation(4, 2, 20, 3));
        FederationState state = new IstioFederationTranslator().newState(Fixtures.clusterName(0));
        state.update(catalogs, Fixtures.T0);
        catalogs.set(2, Fixtures.syntheticCatalog(2, 2, 20, 3, 2, 1, 7));
        FederationDelta delta = state.update(catalogs, Fixtures.T0);
        List<String> names = delta.upsertedServiceEntries().stream()
                .map(se -> se.getMetadata().getNamespace() + "/" + se.getMetadata().getName()).toList();
        // the change is in endpoints only: their WorkloadEntries change, no ServiceEntry does
        assertEquals(List.of(), names);
        assertTrue(delta.removedServiceEntries().isEmpty());
        assertTrue(delta.upsertedDestinationRules().isEmpty());
        List<String> entries = new ArrayList<>(delta.upsertedWorkloadEntries().stream()
                .map(we -> we.getMetadata().getNamespace() + "/" + we.getMetadata().getName()).toList());
        entries.addAll(delta.removedWorkloadEntries());
        assertFalse(entries.isEmpty());
        for (String e : entries) {
            assertTrue(e.startsWith("ns-7/svc-7.cluster-2.global."), e);
        }
    }

    private static Map<String, HasMetadata> index(FederationConfig config) {
        Map<String, HasMetadata> m = new TreeMap<>();
        config.serviceEntries().forEach(o -> m.put(key(o), o));
        config.destinationRules().forEach(o -> m.put(key(o), o));
        config.gateways().forEach(o -> m.put(key(o), o));
        config.workloadEntries().forEach(o -> m.put(key(o), o));
        return m;
    }

    private static void apply(Map<String, HasMetadata> mirror, FederationDelta d) {
        d.removedServiceEntries().forEach(k -> mirror.remove("ServiceEntry " + k));
        d.removedDestinationRules().forEach(k -> mirror.remove("DestinationRule " + k));
        d.removedGateways().forEach(k -> mirror.remove("Gateway " + k));
        d.upsertedServiceEntries().forEach(o -> mirror.put(key(o), o));
        d.upsertedDestinationRules().forEach(o -> mirror.put(key(o), o));
        d.upsertedGateways().forEach(o -> mirror.put(key(o), o));
        d.removedWorkloadEntries().forEach(k -> mirror.remove("WorkloadEntry " + k));
        d.upsertedWorkloadEntries().forEach(o -> mirror.put(key(o), o));
    }

    private static String key(HasMetadata o) {
        return o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    private static void mutate(Random random, Map<String, ClusterCatalog> catalogs, Instant now, String target) {
        List<String> names = new ArrayList<>(catalogs.keySet());
        String name = names.get(random.nextInt(names.size()));
        ClusterCatalog cat = catalogs.get(name);
        switch (random.nextInt(9)) {
            case 0, 1, 2 -> catalogs.put(name, withServices(cat, mutateServices(random, cat.services())));
            case 3 -> catalogs.put(name, cat.markedStale(now.minusSeconds(random.nextInt(600))));
            case 4 -> catalogs.put(name, ClusterCatalog.fresh(cat.cluster(), cat.services(), cat.version() + 1, now));
            case 5 -> {
                if (!name.equals(target)) {
                    catalogs.remove(name);
                }
            }
            case 6 -> {
                String fresh = "c" + (5 + random.nextInt(3));
                catalogs.putIfAbsent(fresh, randomCatalog(random, fresh, 1));
            }
            case 7 -> catalogs.put(name, new ClusterCatalog(randomCluster(random, name), cat.services(),
                    cat.version() + 1, null, cat.lastGoodRead(), cat.staleSince()));
            default -> {
                // only time passes: stale catalogs may cross the grace period
            }
        }
    }

    private static ClusterCatalog withServices(ClusterCatalog cat, List<ExportedService> services) {
        return new ClusterCatalog(cat.cluster(), services, cat.version() + 1, null, cat.lastGoodRead(),
                cat.staleSince());
    }

    private static List<ExportedService> mutateServices(Random random, List<ExportedService> services) {
        List<ExportedService> out = new ArrayList<>(services);
        int op = random.nextInt(3);
        if (op == 0 || out.isEmpty()) {
            ExportedService s = randomService(random);
            out.removeIf(x -> x.key().equals(s.key()));
            out.add(s);
        } else if (op == 1) {
            out.remove(random.nextInt(out.size()));
        } else {
            int i = random.nextInt(out.size());
            ExportedService s = out.get(i);
            out.set(i, new ExportedService(s.namespace(), s.name(), s.ports(), randomEndpoints(random)));
        }
        return out;
    }

    private static ClusterCatalog randomCatalog(Random random, String name, long version) {
        List<ExportedService> services = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ExportedService s = randomService(random);
            services.removeIf(x -> x.key().equals(s.key()));
            services.add(s);
        }
        return ClusterCatalog.fresh(randomCluster(random, name), services, version, Fixtures.T0);
    }

    private static MeshCluster randomCluster(Random random, String name) {
        String gateway = random.nextInt(4) == 0 ? "gw." + name + ".example.com" : "203.0.113." + (1 + random.nextInt(200));
        String region = "r" + random.nextInt(2);
        return new MeshCluster(name, "net" + random.nextInt(2), new Locality(region, region + "-z" + random.nextInt(2)),
                new GatewayAddress(gateway, 15443), name + ".example.org", null);
    }

    private static ExportedService randomService(Random random) {
        List<ServicePort> ports = random.nextBoolean()
                ? List.of(new ServicePort("http", 8080, "HTTP", 8080))
                : List.of(new ServicePort("http", 8080, "HTTP", 8081), new ServicePort("grpc", 9090, "GRPC", 9090));
        return new ExportedService("ns" + random.nextInt(2), "s" + random.nextInt(6), ports, randomEndpoints(random));
    }

    private static List<ServiceEndpoint> randomEndpoints(Random random) {
        List<ServiceEndpoint> eps = new ArrayList<>();
        int n = random.nextInt(4);
        for (int i = 0; i < n; i++) {
            String ip = "10." + random.nextInt(3) + ".0." + random.nextInt(250);
            if (eps.stream().anyMatch(e -> e.address().equals(ip))) {
                continue;
            }
            String region = "r" + random.nextInt(2);
            eps.add(new ServiceEndpoint(ip, new Locality(region, region + "-z" + random.nextInt(2)),
                    random.nextInt(5) != 0, Map.of("app", "a", "version", "v" + random.nextInt(2))));
        }
        return eps;
    }
}
