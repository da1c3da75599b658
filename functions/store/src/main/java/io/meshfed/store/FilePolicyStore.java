package io.meshfed.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.meshfed.model.ModelJson;
import io.meshfed.model.policy.PolicyStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@link PolicyStore} in local mode's state directory: the policies are the YAML or JSON documents of
 * {@code policies/*.yaml}, {@code *.yml}, {@code *.json} (several per file with {@code ---}), written by people; the
 * statuses are {@code policies/status/<Kind>.<name>.json}, written by the bridge. A file that cannot be parsed is
 * listed as invalid under its file name.
 */
public final class FilePolicyStore implements PolicyStore {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final TypeReference<List<PolicyStatus>> STATUSES = new TypeReference<>() {
    };
    private final Path policies;
    private final Path status;

    /** Creates nothing: the directories are made by the first status written (reading a fresh state writes nothing). */
    public FilePolicyStore(Path stateDirectory) {
        this.policies = stateDirectory.resolve("policies");
        this.status = policies.resolve("status");
    }

    /** Where people put policy files. */
    public Path directory() {
        return policies;
    }

    @Override
    public synchronized Stored list() {
        if (!Files.isDirectory(policies)) {
            return Stored.EMPTY;
        }
        List<JsonNode> documents = new ArrayList<>();
        List<Invalid> unreadable = new ArrayList<>();
        try (Stream<Path> files = Files.list(policies)) {
            for (Path f : files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().matches("[^.].*\\.(ya?ml|json)"))
                    .sorted().toList()) {
                try (var parser = YAML.createParser(f.toFile())) {
                    YAML.readValues(parser, JsonNode.class).forEachRemaining(documents::add);
                } catch (IOException | RuntimeException e) {
                    unreadable.add(new Invalid("file", f.getFileName().toString(), List.of(new io.meshfed.model.Violation(
                            "file", "cannot be read as YAML: " + String.valueOf(e.getMessage()).lines().findFirst()
                                    .orElse("")))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + policies, e);
        }
        Stored stored = PolicyStore.read(documents, policies.toString());
        List<Invalid> invalid = new ArrayList<>(unreadable);
        invalid.addAll(stored.invalid());
        return new Stored(stored.traffic(), stored.access(), invalid);
    }

    @Override
    public synchronized void writeStatus(String kind, String name, List<PolicyStatus> clusters) {
        try {
            Files.createDirectories(status);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + status, e);
        }
        Path file = status.resolve(kind + "." + name + ".json");
        if (Files.exists(file) && FileClusterStore.LocalFiles.read(file, JsonNode.class).equals(
                ModelJson.mapper().valueToTree(clusters))) {
            return;
        }
        FileClusterStore.LocalFiles.write(file, clusters);
    }

    @Override
    public synchronized void forgetStatusesExcept(java.util.Set<String> stored) {
        if (!Files.isDirectory(status)) {
            return;
        }
        try (Stream<Path> files = Files.list(status)) {
            for (Path f : files.filter(FilePolicyStore::isStatusFile).toList()) {
                if (!stored.contains(ref(f))) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + status, e);
        }
    }

    @Override
    public synchronized Map<String, List<PolicyStatus>> statuses() {
        Map<String, List<PolicyStatus>> out = new TreeMap<>();
        if (!Files.isDirectory(status)) {
            return out;
        }
        try (Stream<Path> files = Files.list(status)) {
            for (Path f : files.filter(FilePolicyStore::isStatusFile).toList()) {
                out.put(ref(f), ModelJson.mapper().readValue(f.toFile(), STATUSES));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + status, e);
        }
        return out;
    }

    /** {@code <Kind>.<name>.json}, as {@link #writeStatus} names them. */
    private static boolean isStatusFile(Path file) {
        return file.getFileName().toString().matches("[A-Za-z]+\\..+\\.json");
    }

    /** "Kind/name" of a status file. */
    private static String ref(Path statusFile) {
        String base = statusFile.getFileName().toString().replaceFirst("\\.json$", "");
        int dot = base.indexOf('.');
        return base.substring(0, dot) + "/" + base.substring(dot + 1);
    }
}
