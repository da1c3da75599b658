package io.meshfed.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.federation.FederationConfig;
import io.meshfed.model.ClusterCatalog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Golden-file policy translation: every case, every target cluster. See {@link PolicyGoldenFiles}. */
class PolicyGoldenTest {

    @TestFactory
    Stream<DynamicTest> everyCaseMatchesItsExpectedOutput() {
        return PolicyGoldenFiles.cases().stream().flatMap(c -> c.catalogs().stream()
                .map(ClusterCatalog::clusterName)
                .map(target -> DynamicTest.dynamicTest(c.name() + " -> " + target, () -> check(c, target))));
    }

    private static void check(PolicyGoldenFiles.Case c, String target) throws IOException {
        String actual = PolicyGoldenFiles.render(c.translate(target));
        Path expected = c.expected(target);
        if (PolicyGoldenFiles.UPDATE) {
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
    void everyGeneratedObjectRoundTripsThroughTheFabric8IstioModel() {
        int checked = 0;
        for (PolicyGoldenFiles.Case c : PolicyGoldenFiles.cases()) {
            for (ClusterCatalog target : c.catalogs()) {
                for (HasMetadata o : PolicyGoldenFiles.objects(c.translate(target.clusterName()))) {
                    String yaml = Serialization.asYaml(o);
                    assertEquals(o, Serialization.unmarshal(yaml, o.getClass()), "round trip of " + o.getKind() + " "
                            + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName() + ":\n" + yaml);
                    assertEquals(o, Serialization.unmarshal(Serialization.asJson(o), o.getClass()));
                    checked++;
                }
            }
        }
        assertTrue(checked >= 20, "expected the goldens to produce many objects, got " + checked);
    }

    @Test
    void federationsObjectsAreNeverModified() {
        for (PolicyGoldenFiles.Case c : PolicyGoldenFiles.cases()) {
            for (ClusterCatalog target : c.catalogs()) {
                FederationConfig federation = c.federation(target.clusterName());
                String before = Serialization.asYaml(federation.destinationRules());
                new PolicyTranslator().translate(c.policies(), c.catalogs(), federation);
                assertEquals(before, Serialization.asYaml(federation.destinationRules()), c.name());
            }
        }
    }

    @Test
    void shuffledInputGivesIdenticalOutput() {
        Random random = new Random(7);
        for (PolicyGoldenFiles.Case c : PolicyGoldenFiles.cases()) {
            for (ClusterCatalog target : c.catalogs()) {
                FederationConfig federation = c.federation(target.clusterName());
                String reference = PolicyGoldenFiles.render(new PolicyTranslator().translate(c.policies(),
                        c.catalogs(), federation));
                for (int i = 0; i < 5; i++) {
                    List<ClusterCatalog> catalogs = new ArrayList<>(c.catalogs());
                    Collections.shuffle(catalogs, random);
                    var traffic = new ArrayList<>(c.policies().traffic());
                    var access = new ArrayList<>(c.policies().access());
                    Collections.shuffle(traffic, random);
                    Collections.shuffle(access, random);
                    assertEquals(reference, PolicyGoldenFiles.render(new PolicyTranslator().translate(
                            new PolicySet(traffic, access), catalogs, federation)), c.name());
                }
            }
        }
    }
}
