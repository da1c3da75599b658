package io.meshfed.federation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.model.ClusterCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Golden-file translation: every case, every target cluster. See {@link GoldenFiles} for the layout and flag. */
class GoldenTest {

    @TestFactory
    Stream<DynamicTest> everyCaseMatchesItsExpectedOutput() {
        return GoldenFiles.cases().stream().flatMap(c -> c.catalogs().stream()
                .map(ClusterCatalog::clusterName)
                .map(target -> DynamicTest.dynamicTest(c.name() + " -> " + target, () -> check(c, target))));
    }

    private static void check(GoldenFiles.Case c, String target) throws IOException {
        FederationConfig config = new IstioFederationTranslator(c.grace()).translate(c.catalogs(), target, c.now());
        String actual = GoldenFiles.render(config);
        Path expected = c.expected(target);
        if (GoldenFiles.UPDATE) {
            Files.createDirectories(expected.getParent());
            Files.writeString(expected, actual);
            return;
        }
        if (!Files.exists(expected)) {
            fail("missing " + expected + "; run with -Dmeshfed.golden.update=true to create it");
        }
        assertEquals(Files.readString(expected), actual, "golden " + expected
                + " differs; if the change is intended, regenerate with -Dmeshfed.golden.update=true");
    }

    @Test
    void noExpectedFileForAClusterThatIsNotInTheInput() throws IOException {
        for (GoldenFiles.Case c : GoldenFiles.cases()) {
            Set<String> targets = new TreeSet<>();
            c.catalogs().forEach(cat -> targets.add(cat.clusterName() + ".yaml"));
            Path dir = c.dir().resolve("expected");
            try (Stream<Path> files = Files.list(dir)) {
                Set<String> present = new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
                assertEquals(targets, present, "expected files of " + c.name());
            }
        }
    }

    @Test
    void everyGeneratedObjectRoundTripsThroughTheFabric8IstioModel() {
        int checked = 0;
        for (GoldenFiles.Case c : GoldenFiles.cases()) {
            for (ClusterCatalog target : c.catalogs()) {
                FederationConfig config = new IstioFederationTranslator(c.grace())
                        .translate(c.catalogs(), target.clusterName(), c.now());
                List<HasMetadata> all = new ArrayList<>();
                all.addAll(config.serviceEntries());
                all.addAll(config.destinationRules());
                all.addAll(config.gateways());
                for (HasMetadata o : all) {
                    String yaml = Serialization.asYaml(o);
                    HasMetadata back = Serialization.unmarshal(yaml, o.getClass());
                    assertEquals(o, back, "round trip of " + o.getKind() + " " + o.getMetadata().getNamespace()
                            + "/" + o.getMetadata().getName() + ":\n" + yaml);
                    // and through JSON, which is what the Kubernetes API and MCP bodies carry
                    assertEquals(o, Serialization.unmarshal(Serialization.asJson(o), o.getClass()));
                    checked++;
                }
            }
        }
        assertTrue(checked > 50, "expected the goldens to produce many objects, got " + checked);
    }

    @Test
    void shuffledInputGivesIdenticalOutput() {
        Random random = new Random(42);
        for (GoldenFiles.Case c : GoldenFiles.cases()) {
            IstioFederationTranslator translator = new IstioFederationTranslator(c.grace());
            for (ClusterCatalog target : c.catalogs()) {
                String reference = GoldenFiles.render(translator.translate(c.catalogs(), target.clusterName(),
                        c.now()));
                for (int i = 0; i < 5; i++) {
                    List<ClusterCatalog> shuffled = new ArrayList<>();
                    for (ClusterCatalog cat : c.catalogs()) {
                        shuffled.add(Fixtures.shuffledCopy(cat, random));
                    }
                    Collections.shuffle(shuffled, random);
                    assertEquals(reference, GoldenFiles.render(translator.translate(shuffled, target.clusterName(),
                            c.now())), c.name() + " -> " + target.clusterName());
                }
            }
        }
    }
}
