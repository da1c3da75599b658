package io.meshfed.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ModelJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The golden cases under src/test/resources/golden/&lt;case&gt;/: {@code input.yaml} (now, optional graceSeconds,
 * catalogs) beside {@code expected/<target>.yaml}, one per cluster of the input.
 * {@code -Dmeshfed.golden.update=true} rewrites the expected files from the current translator.
 */
final class GoldenFiles {
    static final boolean UPDATE = Boolean.getBoolean("meshfed.golden.update");
    static final Path ROOT = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/golden");

    record Case(String name, Path dir, Instant now, Duration grace, List<ClusterCatalog> catalogs) {
        Path expected(String target) {
            return dir.resolve("expected").resolve(target + ".yaml");
        }
    }

    private GoldenFiles() {
    }

    static List<Case> cases() {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(Files::isDirectory).sorted().map(GoldenFiles::load).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Case load(Path dir) {
        try {
            JsonNode root = new YAMLMapper().readTree(dir.resolve("input.yaml").toFile());
            Instant now = Instant.parse(root.get("now").asText());
            Duration grace = root.has("graceSeconds") ? Duration.ofSeconds(root.get("graceSeconds").asLong())
                    : IstioFederationTranslator.DEFAULT_STALENESS_GRACE;
            List<ClusterCatalog> catalogs = new ArrayList<>();
            for (JsonNode c : root.get("catalogs")) {
                catalogs.add(ModelJson.mapper().treeToValue(c, ClusterCatalog.class));
            }
            return new Case(dir.getFileName().toString(), dir, now, grace, catalogs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read golden case " + dir, e);
        }
    }

    /** Multi-document YAML: every object through fabric8's Serialization, in config order. */
    static String render(FederationConfig config) {
        StringBuilder out = new StringBuilder();
        out.append("# target: ").append(config.targetCluster()).append('\n');
        out.append("# catalog versions: ").append(config.catalogVersions()).append('\n');
        List<HasMetadata> all = new ArrayList<>();
        all.addAll(config.serviceEntries());
        all.addAll(config.destinationRules());
        all.addAll(config.gateways());
        all.addAll(config.workloadEntries());
        for (HasMetadata o : all) {
            String yaml = Serialization.asYaml(o);
            out.append(yaml.startsWith("---") ? yaml : "---\n" + yaml);
            if (!yaml.endsWith("\n")) {
                out.append('\n');
            }
        }
        return out.toString();
    }
}
