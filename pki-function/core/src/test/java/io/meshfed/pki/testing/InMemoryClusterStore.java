package io.meshfed.pki.testing;

import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.ClusterStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** Hand-written ClusterStore test double: registered clusters in a sorted map. Thread-safe. */
public final class InMemoryClusterStore implements ClusterStore {
    private final ConcurrentSkipListMap<String, StoredCluster> clusters = new ConcurrentSkipListMap<>();

    public static MeshCluster cluster(String name, String trustDomain) {
        return new MeshCluster(name, "net-" + name, new Locality("eu-west1", "eu-west1-a"),
                new GatewayAddress("10.0.0.1", 15443), trustDomain, null);
    }

    public InMemoryClusterStore register(String name, String trustDomain) {
        put(cluster(name, trustDomain), Optional.empty());
        return this;
    }

    @Override
    public Optional<StoredCluster> get(String name) {
        return Optional.ofNullable(clusters.get(name));
    }

    @Override
    public List<StoredCluster> list() {
        return List.copyOf(clusters.values());
    }

    @Override
    public Optional<ClusterCredentials> credentials(String name) {
        return Optional.empty();
    }

    @Override
    public PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> credentials) {
        StoredCluster previous = clusters.get(cluster.name());
        if (previous != null && previous.cluster().equals(cluster)) {
            return new PutOutcome(PutResult.UNCHANGED, previous);
        }
        long generation = previous == null ? 1 : previous.generation() + 1;
        StoredCluster stored = new StoredCluster(cluster, generation, Long.toString(generation));
        clusters.put(cluster.name(), stored);
        return new PutOutcome(previous == null ? PutResult.CREATED : PutResult.UPDATED, stored);
    }

    @Override
    public boolean delete(String name) {
        return clusters.remove(name) != null;
    }
}
