package io.meshfed.export;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.ClusterStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A {@link ClusterStore} in memory: generation bumps on every changed put. Thread-safe. */
final class InMemoryClusterStore implements ClusterStore {
    private final TreeMap<String, StoredCluster> clusters = new TreeMap<>();
    private final Map<String, ClusterCredentials> credentials = new HashMap<>();

    @Override
    public synchronized Optional<StoredCluster> get(String name) {
        return Optional.ofNullable(clusters.get(name));
    }

    @Override
    public synchronized List<StoredCluster> list() {
        return List.copyOf(clusters.values());
    }

    @Override
    public synchronized Optional<ClusterCredentials> credentials(String name) {
        return Optional.ofNullable(credentials.get(name));
    }

    @Override
    public synchronized PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> creds) {
        StoredCluster old = clusters.get(cluster.name());
        if (old != null && old.cluster().equals(cluster)
                && creds.equals(Optional.ofNullable(credentials.get(cluster.name())))) {
            return new PutOutcome(PutResult.UNCHANGED, old);
        }
        long generation = old == null ? 1 : old.generation() + 1;
        StoredCluster stored = new StoredCluster(cluster, generation, Long.toString(generation));
        clusters.put(cluster.name(), stored);
        creds.ifPresentOrElse(c -> credentials.put(cluster.name(), c), () -> credentials.remove(cluster.name()));
        return new PutOutcome(old == null ? PutResult.CREATED : PutResult.UPDATED, stored);
    }

    @Override
    public synchronized boolean delete(String name) {
        credentials.remove(name);
        return clusters.remove(name) != null;
    }
}
