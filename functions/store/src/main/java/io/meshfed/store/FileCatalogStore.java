package io.meshfed.store;

import io.meshfed.model.ClusterCatalog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@link CatalogStore} in a local directory ({@code catalogs/<cluster>.json}), for meshfed's local mode.
 * Same compare-and-set rules as the Kubernetes store; writes are atomic renames; one process owns the
 * directory and this instance's lock serializes its writers.
 */
public final class FileCatalogStore implements CatalogStore {
    private final Path catalogs;

    public FileCatalogStore(Path stateDirectory) {
        this.catalogs = stateDirectory.resolve("catalogs");
        try {
            Files.createDirectories(catalogs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create state directory " + stateDirectory, e);
        }
    }

    @Override
    public synchronized Optional<ClusterCatalog> get(String cluster) {
        Path file = catalogs.resolve(cluster + ".json");
        return Files.exists(file) ? Optional.of(FileClusterStore.LocalFiles.read(file, ClusterCatalog.class))
                : Optional.empty();
    }

    @Override
    public synchronized List<ClusterCatalog> list() {
        List<ClusterCatalog> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(catalogs)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json") && !p.getFileName().toString()
                    .startsWith(".")).toList()) {
                all.add(FileClusterStore.LocalFiles.read(f, ClusterCatalog.class));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        all.sort(Comparator.comparing(ClusterCatalog::clusterName));
        return all;
    }

    @Override
    public synchronized void put(ClusterCatalog catalog, long expectedVersion) {
        Optional<ClusterCatalog> existing = get(catalog.clusterName());
        CatalogStore.checkWrite(catalog, expectedVersion, existing.map(ClusterCatalog::version).orElse(0L),
                existing.map(ClusterCatalog::contentHash));
        FileClusterStore.LocalFiles.write(catalogs.resolve(catalog.clusterName() + ".json"), catalog);
    }

    @Override
    public synchronized boolean delete(String cluster) {
        return FileClusterStore.LocalFiles.delete(catalogs.resolve(cluster + ".json"));
    }
}
