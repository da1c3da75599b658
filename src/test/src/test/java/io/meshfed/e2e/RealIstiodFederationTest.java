package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meshfed.federation.FederationConfig;
import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real istiod, with meshfed's bridge as its {@code xds://} config source, for every Istio build in the matrix: each
 * cluster's istiod becomes ready (every type it asked for answered) and its own config store, read from its
 * {@code /debug/configz}, holds exactly the ServiceEntries, DestinationRules and Gateways the federation translator
 * produced for that cluster, with the same specs: none dropped by istiod's validation, none extra.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class RealIstiodFederationTest {
    static final List<String> KINDS = List.of("ServiceEntry", "DestinationRule", "Gateway", "WorkloadEntry");
    final ObjectMapper json = new ObjectMapper();
    RealFleet fleet;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        fleet = RealFleet.withRemoteNetworks(dir, new FlatExample.Pod("10.1.0.7", 7070), new FlatExample.Pod("10.2.0.7", 7070));
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    static Stream<Peers.IstioVersion> versions() {
        return Peers.get().istioVersions().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void eachIstiodHoldsExactlyWhatTheTranslatorProduced(Peers.IstioVersion version) throws Exception {
        for (String cluster : List.of("east", "west", "north", "south")) {
            try (Istiod istiod = fleet.startIstiod(cluster, version, Map.of())) {
                Map<String, String> expected = expected(fleet.mesh().istiodConfig(cluster));
                for (String remote : List.of("ServiceEntry demo/echo.clusterset", "ServiceEntry shop/cart.north.global",
                        "ServiceEntry shop/orders.south.global")) {
                    assertTrue(expected.containsKey(remote) || remote.contains("." + cluster + "."),
                            cluster + " is given " + remote + "; the translator gave " + expected.keySet());
                }
                Map<String, String> actual = fromIstiod(istiod);
                assertEquals(expected.keySet(), actual.keySet(), cluster + ": the objects in istiod's config store");
                for (String key : expected.keySet()) {
                    assertEquals(expected.get(key), actual.get(key), cluster + ": " + key + " as istiod holds it");
                }
                String log = istiod.process().logText();
                List<String> complaints = log.lines().filter(l -> l.contains("\twarn\t") || l.contains("\terror\t"))
                        // the config-source client's scope, and what istiod's memory store says when it refuses
                        .filter(l -> l.contains("\tadsc\t") || l.contains("Invalid data") || l.contains("Error adding")
                                || l.contains("Error updating") || l.contains("Error unmarshalling"))
                        .toList();
                assertEquals(List.of(), complaints, cluster + ": istiod's warnings about the config source");
                assertTrue(fleet.mesh().xdsMetrics().nacks() == 0, "istiod never NACKs (adsc ACKs everything)");
            }
        }
    }

    /**
     * istiod merges meshfed's Istio resources split over three {@code xds://} sources ({@code 127.0.3.1} to
     * {@code 127.0.3.3}, each a stream of its own to the bridge): its config store holds exactly what one source
     * gives, and it NACKs nothing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void anIstiodReadingThreeShardedSourcesHoldsExactlyWhatOneSourceGives(Peers.IstioVersion version)
            throws Exception {
        long nacks = fleet.mesh().xdsMetrics().nacks();
        try (Istiod istiod = fleet.startShardedIstiod("north", version, 3)) {
            Map<String, String> expected = expected(fleet.mesh().istiodConfig("north"));
            Map<String, String> actual = fromIstiod(istiod);
            assertEquals(expected.keySet(), actual.keySet(), "north's config store, merged from three sources");
            for (String key : expected.keySet()) {
                assertEquals(expected.get(key), actual.get(key), key + " as istiod holds it");
            }
            var north = fleet.mesh().xdsClients().all().stream().filter(c -> "north".equals(c.cluster())).toList();
            assertEquals(3, north.size(), "one stream per source: " + north);
            long serviceEntries = expected.keySet().stream().filter(k -> k.startsWith("ServiceEntry ")).count();
            int sent = north.stream().mapToInt(c -> c.types().get("networking.istio.io/v1/ServiceEntry")
                    .sentResources()).sum();
            assertEquals(serviceEntries, sent, "the three sources split the ServiceEntries: each sent once, not thrice");
            assertTrue(north.stream().allMatch(c -> c.types().get("networking.istio.io/v1/ServiceEntry")
                    .sentResources() < serviceEntries), "no source carries them all");
            assertEquals(nacks, fleet.mesh().xdsMetrics().nacks(), "istiod never NACKs");
        }
    }

    /** "Kind ns/name" to spec as canonical JSON text, from the translator's output (fabric8's Istio model). */
    Map<String, String> expected(FederationConfig config) {
        Map<String, String> out = new TreeMap<>();
        List<HasMetadata> all = new ArrayList<>();
        all.addAll(config.serviceEntries());
        all.addAll(config.destinationRules());
        all.addAll(config.gateways());
        all.addAll(config.workloadEntries());
        for (HasMetadata o : all) {
            JsonNode node = json.valueToTree(o);
            out.put(o.getKind() + " " + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName(),
                    normalize(node.get("spec")).toString());
        }
        return out;
    }

    /** The same from istiod's {@code /debug/configz} (its merged config store: the bridge plus its own API server). */
    Map<String, String> fromIstiod(Istiod istiod) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode c : json.readTree(istiod.get("/debug/configz"))) {
            String kind = c.path("kind").asText();
            if (KINDS.contains(kind)) {
                out.put(kind + " " + c.path("metadata").path("namespace").asText() + "/"
                        + c.path("metadata").path("name").asText(), normalize(c.get("spec")).toString());
            }
        }
        return out;
    }

    /**
     * Drops empty values, which protobuf JSON leaves out and fabric8 may write, and sorts keys; numbers compare by
     * their JSON text (istiod's 15443 and fabric8's are different Jackson node types).
     */
    static JsonNode normalize(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isObject()) {
            var out = new ObjectMapper().createObjectNode();
            var names = new ArrayList<String>();
            node.fieldNames().forEachRemaining(names::add);
            names.sort(String::compareTo);
            for (String n : names) {
                JsonNode v = normalize(node.get(n));
                if (v == null || v.isNull() || (v.isContainerNode() && v.isEmpty()) || (v.isTextual() && v.asText().isEmpty())
                        || (v.isBoolean() && !v.asBoolean()) || (v.isNumber() && v.asDouble() == 0)) {
                    continue;
                }
                out.set(n, v);
            }
            return out;
        }
        if (node.isArray()) {
            var out = new ObjectMapper().createArrayNode();
            node.forEach(e -> out.add(normalize(e)));
            return out;
        }
        return node;
    }
}
