package io.meshfed.knative;

import io.fabric8.knative.eventing.v1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The manifests under knative/manifests, parsed into fabric8 model classes, and the Funqy mappings of every module. */
final class Manifests {
    static final Path MODULE = Path.of("").toAbsolutePath();
    static final Path ROOT = MODULE.getParent();
    static final Path DIR = MODULE.resolve("manifests");
    private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");
    private static final String MAPPING_PREFIX = "quarkus.funqy.knative-events.mapping.";
    /** A setting read from the environment with a default: {@code ${VARIABLE:default}}. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*):(.*)}");
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    record Parsed(Path file, KubernetesResource resource) {
    }

    private Manifests() {
    }

    static List<Path> files(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of every manifest file, parsed by fabric8's own deserializer (kind → model class). */
    static List<Parsed> all() {
        List<Parsed> out = new ArrayList<>();
        for (Path f : files(DIR)) {
            for (String doc : DOCUMENT_SEPARATOR.split(read(f))) {
                if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                    continue;
                }
                out.add(new Parsed(f, SERIALIZATION.unmarshal(doc)));
            }
        }
        return out;
    }

    static <T extends HasMetadata> List<T> of(Class<T> type) {
        return all().stream().map(Parsed::resource).filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T named(Class<T> type, String name) {
        return of(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " named " + name));
    }

    static List<Trigger> triggers() {
        return of(Trigger.class);
    }

    /**
     * Funqy mappings (function name → CloudEvent type) of the module at {@code module} (relative to the repository
     * root), read from its src/main/resources/application.properties; empty when it has none (yet).
     */
    static Map<String, String> funqyMappings(String module) {
        Map<String, String> out = new TreeMap<>();
        Properties p = applicationProperties(module);
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith(MAPPING_PREFIX) && key.endsWith(".trigger")) {
                out.put(key.substring(MAPPING_PREFIX.length(), key.length() - ".trigger".length()), p.getProperty(key));
            }
        }
        return out;
    }

    /** One setting of the module's src/main/resources/application.properties; fails when it is not there. */
    static String property(String module, String key) {
        String value = applicationProperties(module).getProperty(key);
        if (value == null) {
            throw new AssertionError(module + " has no " + key + " in its application.properties");
        }
        return value;
    }

    /**
     * The environment variables the module's application.properties reads ({@code key=${VARIABLE:default}}), each
     * with its default; empty when the module has no application.properties (yet).
     */
    static Map<String, String> environmentDefaults(String module) {
        Map<String, String> out = new TreeMap<>();
        Properties p = applicationProperties(module);
        for (String key : p.stringPropertyNames()) {
            var m = PLACEHOLDER.matcher(p.getProperty(key).trim());
            if (m.matches()) {
                out.put(m.group(1), m.group(2));
            }
        }
        return out;
    }

    /** The module's src/main/resources/application.properties, empty when it has none (yet). */
    private static Properties applicationProperties(String module) {
        Path props = ROOT.resolve(module).resolve("src/main/resources/application.properties");
        Properties p = new Properties();
        if (Files.isRegularFile(props)) {
            try (var in = Files.newBufferedReader(props)) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return p;
    }

    /** Every application.properties under the repository's src/main/resources directories (target/ excluded). */
    /**
     * Apps that are never deployed: the cold-start floor ColdStartBench measures, built only by the root pom's
     * {@code bench} profile (docs/benchmarks.md, "Cold start of the functions").
     */
    static final Path BENCH_ONLY = Path.of("images/floor");

    static List<Path> allApplicationProperties() {
        try (Stream<Path> s = Files.walk(ROOT)) {
            return s.filter(p -> p.endsWith(Path.of("src/main/resources/application.properties")))
                    .filter(p -> !ROOT.relativize(p).toString().contains("target/"))
                    .filter(p -> !ROOT.relativize(p).startsWith(BENCH_ONLY))
                    .filter(p -> !p.startsWith(ROOT.resolve(".git")))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
