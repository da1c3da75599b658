package io.meshfed.policy;

import io.meshfed.model.policy.PolicyStatus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.federation.FederationConfig;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ModelJson;
import io.meshfed.model.policy.AccessPolicy;
import io.meshfed.model.policy.TrafficPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The golden cases under src/test/resources/golden/&lt;case&gt;/: {@code input.yaml} (now, catalogs, policies with
 * {@code traffic} and {@code access} lists of {name, spec}) beside {@code expected/<target>.yaml}, one per cluster.
 * {@code -Dmeshfed.golden.update=true} rewrites the expected files from the current translator.
 */
final class PolicyGoldenFiles {
    static final boolean UPDATE = Boolean.getBoolean("meshfed.golden.update");
    static final Path ROOT = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/golden");

    record Case(String name, Path dir, Instant now, List<ClusterCatalog> catalogs, PolicySet policies) {
        Path expected(String target) {
            return dir.resolve("expected").resolve(target + ".yaml");
        }

        FederationConfig federation(String target) {
            return new IstioFederationTranslator().translate(catalogs, target, now);
        }

        PolicyConfig translate(String target) {
            return new PolicyTranslator().translate(policies, catalogs, federation(target));
        }
    }

    private PolicyGoldenFiles() {
    }

    static List<Case> cases() {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(Files::isDirectory).sorted().map(PolicyGoldenFiles::load).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Case load(Path dir) {
        try {
            JsonNode root = new YAMLMapper().readTree(dir.resolve("input.yaml").toFile());
            List<ClusterCatalog> catalogs = new ArrayList<>();
            for (JsonNode c : root.get("catalogs")) {
                catalogs.add(ModelJson.mapper().treeToValue(c, ClusterCatalog.class));
            }
            return new Case(dir.getFileName().toString(), dir, Instant.parse(root.get("now").asText()), catalogs,
                    policies(root.get("policies")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read golden case " + dir, e);
        }
    }

    static PolicySet policies(JsonNode node) throws IOException {
        List<TrafficPolicy> traffic = new ArrayList<>();
        List<AccessPolicy> access = new ArrayList<>();
        if (node != null && node.has("traffic")) {
            for (JsonNode p : node.get("traffic")) {
                traffic.add(new TrafficPolicy(p.get("name").asText(),
                        ModelJson.mapper().treeToValue(p.get("spec"), TrafficPolicy.Spec.class)));
            }
        }
        if (node != null && node.has("access")) {
            for (JsonNode p : node.get("access")) {
                access.add(new AccessPolicy(p.get("name").asText(),
                        ModelJson.mapper().treeToValue(p.get("spec"), AccessPolicy.Spec.class)));
            }
        }
        return new PolicySet(traffic, access);
    }

    static List<HasMetadata> objects(PolicyConfig config) {
        List<HasMetadata> all = new ArrayList<>();
        all.addAll(config.virtualServices());
        all.addAll(config.destinationRules());
        all.addAll(config.authorizationPolicies());
        all.addAll(config.envoyFilters());
        return all;
    }

    /** The statuses as comments, then every object through fabric8's Serialization, in config order. */
    static String render(PolicyConfig config) {
        StringBuilder out = new StringBuilder();
        out.append("# target: ").append(config.targetCluster()).append('\n');
        for (PolicyStatus s : config.statuses()) {
            out.append("# status ").append(s.policy()).append(": ").append(s.state()).append(' ')
                    .append(s.services()).append('\n');
            s.messages().forEach(m -> out.append("#   ").append(m).append('\n'));
        }
        for (HasMetadata o : objects(config)) {
            String yaml = Serialization.asYaml(o);
            out.append(yaml.startsWith("---") ? yaml : "---\n" + yaml);
            if (!yaml.endsWith("\n")) {
                out.append('\n');
            }
        }
        return out.toString();
    }
}
