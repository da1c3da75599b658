package io.meshfed.store;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import java.util.List;
import java.util.Optional;

/**
 * Registered clusters and their API credentials, as kept in the management cluster (a {@code MeshCluster}
 * custom resource per cluster, a Secret per set of credentials).
 *
 * <p>Writes are idempotent and guarded by optimistic concurrency: of two concurrent writers of the same
 * name exactly one wins, the other sees {@link ConcurrentChangeException} and must re-read. A write either
 * lands whole (resource and Secret) or not at all. Implementations are thread-safe.
 */
public interface ClusterStore {

    /** A registered cluster with its resource bookkeeping. {@code generation} bumps on every spec change. */
    record StoredCluster(MeshCluster cluster, long generation, String resourceVersion) {
    }

    /** What {@link #put} did. */
    enum PutResult {
        CREATED, UPDATED, UNCHANGED
    }

    record PutOutcome(PutResult result, StoredCluster stored) {
    }

    Optional<StoredCluster> get(String name);

    /** Every registered cluster, sorted by name. */
    List<StoredCluster> list();

    /**
     * The credentials stored for {@code name}, empty for clusters registered without API access.
     * Never log the result.
     */
    Optional<ClusterCredentials> credentials(String name);

    /**
     * Creates or updates the cluster and its credentials. Identical spec and credentials: {@code UNCHANGED},
     * nothing written.
     *
     * @throws ConcurrentChangeException when another writer changed the same cluster in between
     */
    PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> credentials);

    /** Removes the cluster and its credentials. Returns false when there was nothing to remove. */
    boolean delete(String name);
}
