package io.meshfed.store;

import io.meshfed.model.ClusterCatalog;
import java.util.List;
import java.util.Optional;

/**
 * Each cluster's catalog as kept in the management cluster, one object per cluster.
 *
 * <p>Versions only move forward: {@link #put} writes only when the stored version is exactly
 * {@code expectedVersion} (0 = none stored yet) and the new catalog's version is greater — or equal with
 * the same content hash, for bookkeeping-only changes such as marking it stale — so a late or reordered
 * writer can never roll a catalog back. Implementations are thread-safe.
 */
public interface CatalogStore {

    Optional<ClusterCatalog> get(String cluster);

    /** Every stored catalog, sorted by cluster name. */
    List<ClusterCatalog> list();

    /**
     * Compare-and-set write.
     *
     * @throws ConcurrentChangeException when the stored version is not {@code expectedVersion}
     * @throws IllegalArgumentException when the catalog would not move the stored one forward
     */
    void put(ClusterCatalog catalog, long expectedVersion);

    /** Removes the cluster's catalog; false when none was stored. */
    boolean delete(String cluster);

    /**
     * The compare-and-set rule every implementation applies before writing {@code catalog} over what is
     * stored ({@code stored} empty when nothing is).
     */
    static void checkWrite(ClusterCatalog catalog, long expectedVersion, long storedVersion,
            Optional<String> storedHash) {
        if (storedVersion != expectedVersion) {
            throw new ConcurrentChangeException("catalog of " + catalog.clusterName() + " is at version "
                    + storedVersion + ", expected " + expectedVersion, null);
        }
        boolean forward = catalog.version() > storedVersion || (catalog.version() == storedVersion
                && storedHash.isPresent() && storedHash.get().equals(catalog.contentHash()));
        if (!forward) {
            throw new IllegalArgumentException("catalog version " + catalog.version() + " of "
                    + catalog.clusterName() + " would not move forward from " + storedVersion);
        }
    }
}
