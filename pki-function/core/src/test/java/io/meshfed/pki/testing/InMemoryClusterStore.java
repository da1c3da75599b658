package io.meshfed.pki.testing;

import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.KubernetesClusterStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** Hand-written ClusterStore test double: registered clusters and their credentials in maps. Thread-safe. */
public final class InMemoryClusterStore implements ClusterStore {
    /** The credentials {@link #register} stores for every cluster. */
    public static final ClusterCredentials CREDENTIALS = ClusterCredentials.ofToken("meshfed-test-credentials");
    private static String apiServerCa;

    private final ConcurrentSkipListMap<String, StoredCluster> clusters = new ConcurrentSkipListMap<>();
    private final Map<String, ClusterCredentials> credentials = new ConcurrentHashMap<>();

    /** A cluster registered without API access. */
    public static MeshCluster cluster(String name, String trustDomain) {
        return new MeshCluster(name, "net-" + name, new Locality("eu-west1", "eu-west1-a"),
                new GatewayAddress("10.0.0.1", 15443), trustDomain, null);
    }

    /** A cluster whose API server is at {@code https://<name>.api.example.org}, with {@link #CREDENTIALS}. */
    public static MeshCluster clusterWithApiAccess(String name, String trustDomain) {
        return new MeshCluster(name, "net-" + name, new Locality("eu-west1", "eu-west1-a"),
                new GatewayAddress("10.0.0.1", 15443), trustDomain, new ApiServerRef("https://" + name
                        + ".api.example.org", apiServerCa(), KubernetesClusterStore.credentialsSecretName(name,
                        CREDENTIALS)));
    }

    private static synchronized String apiServerCa() {
        if (apiServerCa == null) {
            apiServerCa = TestPki.root(KeyAlgorithm.ECDSA_P256, "test API server CA").chainPem();
        }
        return apiServerCa;
    }

    /** Registers {@code name} with API access, as a cluster whose CSR agent can be authenticated. */
    public InMemoryClusterStore register(String name, String trustDomain) {
        put(clusterWithApiAccess(name, trustDomain), Optional.of(CREDENTIALS));
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
        return Optional.ofNullable(credentials.get(name));
    }

    @Override
    public PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> credentials) {
        StoredCluster previous = clusters.get(cluster.name());
        credentials.ifPresentOrElse(c -> this.credentials.put(cluster.name(), c),
                () -> this.credentials.remove(cluster.name()));
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
        credentials.remove(name);
        return clusters.remove(name) != null;
    }
}
