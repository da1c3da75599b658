package io.meshfed.local;

import io.meshfed.store.FileClusterStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Local mode's state directory belongs to one example. By default each example gets its own
 * ({@code .meshfed/state/<example-name>}); {@link #claim} records the example in the directory and refuses to start
 * another example on it, because a second example would silently inherit the first one's registered clusters (and
 * then fail to reach their API servers, which are gone, every sync interval).
 *
 * <p>{@code --fresh} deletes a state directory before the start, but only one that holds meshfed's state: a
 * directory with neither the marker nor meshfed's sub-directories is left alone and refused.
 */
final class StateDirectory {
    /** The file naming the example a state directory belongs to (its normalized absolute path). */
    static final String MARKER = "example";
    /** Where the per-example state directories live, relative to the working directory. */
    static final Path ROOT = Path.of(".meshfed/state");
    private static final Set<String> MESHFED_ENTRIES = Set.of(MARKER, "clusters", "catalogs", "credentials", "pki",
            "tokens", "cacerts", "policies");

    private StateDirectory() {
    }

    /** The default state directory of {@code example}: {@code .meshfed/state/<directory name>}. */
    static Path defaultFor(Path example) {
        Path name = example.toAbsolutePath().normalize().getFileName();
        return ROOT.resolve(name == null ? "root" : name.toString());
    }

    /**
     * Makes {@code state} the state directory of {@code example}: deletes it first when {@code fresh}, refuses one
     * that belongs to another example or holds clusters the example does not have, and records the example.
     *
     * @throws ExampleException what is in the way and the two ways out (start clean, or another directory)
     */
    static void claim(Path state, Path example, List<String> exampleClusters, boolean fresh) {
        String owner = example.toAbsolutePath().normalize().toString();
        try {
            if (fresh && Files.exists(state)) {
                delete(state);
            }
            Path marker = state.resolve(MARKER);
            if (Files.isRegularFile(marker)) {
                String recorded = Files.readString(marker).strip();
                if (!recorded.equals(owner)) {
                    throw new ExampleException("state directory " + state + " holds the state of example " + recorded
                            + ", not of " + example + ": start clean with --fresh (deletes " + state
                            + ") or give another --state-dir");
                }
            } else if (Files.isDirectory(state.resolve("clusters"))) {
                // A directory from before the marker existed: its registered clusters tell whose it is.
                Set<String> foreign = new FileClusterStore(state).list().stream().map(c -> c.cluster().name())
                        .filter(name -> !exampleClusters.contains(name)).collect(Collectors.toCollection(java.util.TreeSet::new));
                if (!foreign.isEmpty()) {
                    throw new ExampleException("state directory " + state + " holds clusters " + foreign
                            + " that example " + example + " does not have: start clean with --fresh (deletes "
                            + state + ") or give another --state-dir");
                }
            }
            Files.createDirectories(state);
            Files.writeString(marker, owner + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the state directory " + state + ": " + e.getMessage(), e);
        }
    }

    private static void delete(Path state) throws IOException {
        if (!Files.isDirectory(state)) {
            throw new ExampleException("--fresh: " + state + " is not a directory; not deleting it");
        }
        try (Stream<Path> entries = Files.list(state)) {
            List<String> unknown = entries.map(p -> p.getFileName().toString())
                    .filter(n -> !MESHFED_ENTRIES.contains(n)).sorted().toList();
            if (!unknown.isEmpty()) {
                throw new ExampleException("--fresh: " + state + " holds " + unknown + ", which local mode never "
                        + "writes; not deleting it (remove it yourself if it is meant to go)");
            }
        }
        try (Stream<Path> all = Files.walk(state)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
