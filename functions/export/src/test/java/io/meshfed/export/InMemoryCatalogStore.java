package io.meshfed.export;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.store.CatalogStore;
import io.meshfed.store.ConcurrentChangeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** A {@link CatalogStore} in memory with the same compare-and-set contract, counting writes. Thread-safe. */
final class InMemoryCatalogStore implements CatalogStore {
    private final TreeMap<String, ClusterCatalog> catalogs = new TreeMap<>();
    private final List<String> writes = new ArrayList<>();
    /** Runs once before the next put's compare, standing in for a writer that gets there first. */
    private Runnable beforeNextPut;

    @Override
    public synchronized Optional<ClusterCatalog> get(String cluster) {
        return Optional.ofNullable(catalogs.get(cluster));
    }

    @Override
    public synchronized List<ClusterCatalog> list() {
        return List.copyOf(catalogs.values());
    }

    @Override
    public synchronized void put(ClusterCatalog catalog, long expectedVersion) {
        if (beforeNextPut != null) {
            Runnable r = beforeNextPut;
            beforeNextPut = null;
            r.run();
        }
        ClusterCatalog stored = catalogs.get(catalog.clusterName());
        long storedVersion = stored == null ? 0 : stored.version();
        if (storedVersion != expectedVersion || catalog.version() <= storedVersion) {
            throw new ConcurrentChangeException("stored version of " + catalog.clusterName() + " is " + storedVersion
                    + ", expected " + expectedVersion, null);
        }
        catalogs.put(catalog.clusterName(), catalog);
        writes.add("put " + catalog.clusterName() + " v" + catalog.version());
    }

    @Override
    public synchronized boolean delete(String cluster) {
        boolean removed = catalogs.remove(cluster) != null;
        if (removed) {
            writes.add("delete " + cluster);
        }
        return removed;
    }

    /** Writes directly, bypassing the compare (a concurrent writer). */
    synchronized void force(ClusterCatalog catalog) {
        catalogs.put(catalog.clusterName(), catalog);
    }

    synchronized void beforeNextPut(Runnable r) {
        beforeNextPut = r;
    }

    synchronized List<String> writes() {
        return List.copyOf(writes);
    }
}
