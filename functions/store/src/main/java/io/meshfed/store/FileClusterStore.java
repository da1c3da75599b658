package io.meshfed.store;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ModelJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@link ClusterStore} in a local directory, for meshfed's local mode (no Kubernetes): one
 * {@code clusters/<name>.json} per cluster ({@link StoredClusterFile}: spec and generation) and its
 * credentials in {@code credentials/<name>.json}, written with mode 0600.
 *
 * <p>Every file is written to a temporary file and atomically renamed, credentials before the cluster
 * file, so a crash never leaves half a file and a reader never sees a cluster whose credentials are
 * missing. One process owns a state directory; writers inside it are serialized by this instance's lock.
 */
public final class FileClusterStore implements ClusterStore {
    /** On-disk form of a stored cluster. */
    public record StoredClusterFile(MeshCluster cluster, long generation) {
    }

    private final Path clusters;
    private final Path credentials;

    public FileClusterStore(Path stateDirectory) {
        this.clusters = stateDirectory.resolve("clusters");
        this.credentials = stateDirectory.resolve("credentials");
        try {
            Files.createDirectories(clusters);
            Files.createDirectories(credentials);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create state directory " + stateDirectory, e);
        }
    }

    @Override
    public synchronized Optional<StoredCluster> get(String name) {
        Path file = clusters.resolve(name + ".json");
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        StoredClusterFile stored = LocalFiles.read(file, StoredClusterFile.class);
        return Optional.of(new StoredCluster(stored.cluster(), stored.generation(), Long.toString(stored.generation())));
    }

    @Override
    public synchronized List<StoredCluster> list() {
        List<StoredCluster> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(clusters)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                String name = f.getFileName().toString().replaceFirst("\\.json$", "");
                get(name).ifPresent(all::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        all.sort(Comparator.comparing(s -> s.cluster().name()));
        return all;
    }

    @Override
    public synchronized Optional<ClusterCredentials> credentials(String name) {
        Path file = credentials.resolve(name + ".json");
        return get(name).isPresent() && Files.exists(file)
                ? Optional.of(LocalFiles.read(file, ClusterCredentials.class)) : Optional.empty();
    }

    @Override
    public synchronized PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> newCredentials) {
        Optional<StoredCluster> before = get(cluster.name());
        if (before.isPresent() && before.get().cluster().equals(cluster)
                && credentials(cluster.name()).equals(newCredentials)) {
            return new PutOutcome(PutResult.UNCHANGED, before.get());
        }
        Path credentialsFile = credentials.resolve(cluster.name() + ".json");
        if (newCredentials.isPresent()) {
            LocalFiles.writeSecret(credentialsFile, newCredentials.get());
        } else {
            LocalFiles.delete(credentialsFile);
        }
        long generation = before.map(b -> b.cluster().equals(cluster) ? b.generation() : b.generation() + 1).orElse(1L);
        LocalFiles.write(clusters.resolve(cluster.name() + ".json"), new StoredClusterFile(cluster, generation));
        StoredCluster stored = new StoredCluster(cluster, generation, Long.toString(generation));
        return new PutOutcome(before.isEmpty() ? PutResult.CREATED : PutResult.UPDATED, stored);
    }

    @Override
    public synchronized boolean delete(String name) {
        boolean removed = LocalFiles.delete(clusters.resolve(name + ".json"));
        return LocalFiles.delete(credentials.resolve(name + ".json")) || removed;
    }

    /** Atomic JSON file writes for the local stores. */
    static final class LocalFiles {
        private LocalFiles() {
        }

        static <T> T read(Path file, Class<T> type) {
            try {
                return ModelJson.mapper().readValue(file.toFile(), type);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }

        static void write(Path file, Object value) {
            writeBytes(file, value, false);
        }

        /** Written with mode 0600 from the start: the temporary file is created with it. */
        static void writeSecret(Path file, Object value) {
            writeBytes(file, value, true);
        }

        private static void writeBytes(Path file, Object value, boolean secret) {
            try {
                Path tmp = secret
                        ? Files.createTempFile(file.getParent(), ".tmp-", ".json",
                                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                        : Files.createTempFile(file.getParent(), ".tmp-", ".json");
                ModelJson.mapper().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), value);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }

        static boolean delete(Path file) {
            try {
                return Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + file, e);
            }
        }
    }
}
