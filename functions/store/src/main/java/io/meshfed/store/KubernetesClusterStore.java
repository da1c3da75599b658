package io.meshfed.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ModelJson;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link ClusterStore} on the management cluster's Kubernetes API: one {@code MeshCluster} custom resource
 * ({@code meshfed.io/v1alpha1}, cluster spec without credentials) per cluster, and its credentials in a
 * Secret whose name carries a hash of their content ({@link #credentialsSecretName(String, ClusterCredentials)}).
 *
 * <p>Content-addressed Secrets make a write all-or-nothing without transactions: the Secret for the new
 * credentials is created first (it is immutable, and a concurrent writer with the same credentials creates
 * the very same one), then the resource is written with its resourceVersion as guard, pointing at it. A
 * reader follows the resource's pointer, so it sees either the old pair or the new pair, never a mix.
 *
 * <p>Invariant: once writers are quiet, the Secret the resource names exists. Because equal credentials share
 * one Secret, a Secret this writer created or replaced may be the one another writer's resource points to
 * (two identical registrations delivered at once), and Kubernetes cannot delete "only if unreferenced"
 * atomically. So no Secret is deleted blindly:
 * <ul>
 * <li>a writer whose resource write succeeded re-creates its Secret if it is missing (after the write);</li>
 * <li>a Secret that may be unreferenced (the one a writer created before losing the race, the one a rotation
 * replaced) is {@linkplain #release released}: kept if the resource names it; else deleted, the resource read
 * again, and the Secret restored if the resource names it by then.</li>
 * </ul>
 * Whatever the interleaving of a pointer write W (then its re-create) with a release D (delete, then re-read),
 * either D's delete precedes W's re-create, which restores the Secret, or it follows it, and then D's re-read
 * follows W's write and D restores it. A Secret can go missing for the moment between the two, never for good.
 * The API server bumps {@code metadata.generation} on spec changes. Thread-safe: holds no state beyond the client.
 */
public final class KubernetesClusterStore implements ClusterStore {
    public static final ResourceDefinitionContext MESH_CLUSTER = new ResourceDefinitionContext.Builder()
            .withGroup("meshfed.io").withVersion("v1alpha1").withKind("MeshCluster").withPlural("meshclusters")
            .withNamespaced(true).build();
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String CLUSTER_LABEL = "meshfed.io/cluster";

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final KubernetesClient client;
    private final String namespace;

    public KubernetesClusterStore(KubernetesClient client, String namespace) {
        this.client = Objects.requireNonNull(client);
        this.namespace = Objects.requireNonNull(namespace);
    }

    /**
     * The name of the Secret that holds {@code credentials} of {@code cluster}: a hash of the content, so
     * equal credentials always live in the same, never-modified Secret.
     */
    public static String credentialsSecretName(String cluster, ClusterCredentials credentials) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {credentials.token(), credentials.clientCertificate(),
                credentials.clientKey()}) {
                sha.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return "meshfed-cluster-" + cluster + "-" + HexFormat.of().formatHex(sha.digest()).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Optional<StoredCluster> get(String name) {
        return Optional.ofNullable(resources().withName(name).get()).map(KubernetesClusterStore::toStored);
    }

    @Override
    public List<StoredCluster> list() {
        return resources().list().getItems().stream()
                .map(KubernetesClusterStore::toStored)
                .sorted(Comparator.comparing(s -> s.cluster().name()))
                .toList();
    }

    @Override
    public Optional<ClusterCredentials> credentials(String name) {
        Optional<ApiServerRef> api = get(name).map(s -> s.cluster().apiServer());
        if (api.isEmpty()) {
            return Optional.empty();
        }
        Secret secret = secrets().withName(api.get().credentialsSecret()).get();
        if (secret == null || secret.getData() == null) {
            return Optional.empty();
        }
        Map<String, String> data = secret.getData();
        return Optional.of(new ClusterCredentials(
                decode(data.get("token")), decode(data.get("client-certificate")), decode(data.get("client-key"))));
    }

    @Override
    public PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> credentials) {
        if (cluster.hasApiAccess() != credentials.isPresent()) {
            throw new IllegalArgumentException("a cluster with API access needs credentials, one without has none");
        }
        credentials.ifPresent(c -> {
            String expected = credentialsSecretName(cluster.name(), c);
            if (!expected.equals(cluster.apiServer().credentialsSecret())) {
                throw new IllegalArgumentException("apiServer.credentialsSecret must be " + expected);
            }
        });
        GenericKubernetesResource existing = resources().withName(cluster.name()).get();
        Optional<StoredCluster> before = Optional.ofNullable(existing).map(KubernetesClusterStore::toStored);
        if (before.isPresent() && before.get().cluster().equals(cluster)) {
            return new PutOutcome(PutResult.UNCHANGED, before.get());
        }
        Optional<Secret> secret = credentials.map(c -> credentialsSecret(cluster, c));
        boolean createdSecret = secret.isPresent() && createSecret(secret.get());
        GenericKubernetesResource written;
        try {
            written = existing == null
                    ? resources().resource(newResource(cluster)).create()
                    : resources().resource(updatedResource(existing, cluster)).update();
        } catch (KubernetesClientException e) {
            if (createdSecret) {
                // an identical concurrent write may have won, pointing at this very Secret
                try {
                    release(cluster.name(), secret.get());
                } catch (KubernetesClientException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                throw new ConcurrentChangeException("MeshCluster " + cluster.name() + " was changed concurrently", e);
            }
            throw e;
        }
        // a concurrent writer may have released (deleted) it between our create and our write
        secret.ifPresent(this::createSecret);
        before.map(b -> b.cluster().apiServer()).map(ApiServerRef::credentialsSecret)
                .filter(previous -> !previous.equals(secretOf(cluster)))
                .flatMap(previous -> Optional.ofNullable(secrets().withName(previous).get()))
                .ifPresent(previous -> release(cluster.name(), previous));
        return new PutOutcome(existing == null ? PutResult.CREATED : PutResult.UPDATED, toStored(written));
    }

    @Override
    public boolean delete(String name) {
        boolean removedResource = !resources().withName(name).delete().isEmpty();
        boolean removedSecrets = !secrets().withLabel(CLUSTER_LABEL, name).delete().isEmpty();
        return removedResource || removedSecrets;
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> resources() {
        return client.genericKubernetesResources(MESH_CLUSTER).inNamespace(namespace);
    }

    private static String secretOf(MeshCluster cluster) {
        return cluster.apiServer() == null ? null : cluster.apiServer().credentialsSecret();
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<Secret, io.fabric8.kubernetes.api.model.SecretList,
            io.fabric8.kubernetes.client.dsl.Resource<Secret>> secrets() {
        return client.secrets().inNamespace(namespace);
    }

    /** The content-addressed Secret holding {@code c} for {@code cluster}. */
    private Secret credentialsSecret(MeshCluster cluster, ClusterCredentials c) {
        Map<String, String> data = new LinkedHashMap<>();
        putEncoded(data, "token", c.token());
        putEncoded(data, "client-certificate", c.clientCertificate());
        putEncoded(data, "client-key", c.clientKey());
        return new SecretBuilder()
                .withNewMetadata().withName(secretOf(cluster)).withNamespace(namespace)
                .addToLabels(MANAGED_BY, "meshfed").addToLabels(CLUSTER_LABEL, cluster.name()).endMetadata()
                .withType("Opaque").withImmutable(true).withData(data).build();
    }

    /** Creates the Secret; false when it already existed (same name, so the same content). */
    private boolean createSecret(Secret secret) {
        try {
            secrets().resource(secret).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Deletes {@code secret} unless {@code cluster}'s resource names it, and restores it when the resource names it
     * after the delete (a writer pointed at it meanwhile). See the class comment for why this ordering is safe.
     */
    private void release(String cluster, Secret secret) {
        String name = secret.getMetadata().getName();
        if (name.equals(currentSecretOf(cluster))) {
            return;
        }
        secrets().withName(name).delete();
        if (name.equals(currentSecretOf(cluster))) {
            createSecret(new SecretBuilder(secret).editMetadata().withResourceVersion(null).withUid(null)
                    .withCreationTimestamp(null).withManagedFields(List.of()).endMetadata().build());
        }
    }

    /** The Secret {@code cluster}'s resource names now; null when there is no resource or it names none. */
    private String currentSecretOf(String cluster) {
        return get(cluster).map(StoredCluster::cluster).map(KubernetesClusterStore::secretOf).orElse(null);
    }

    private GenericKubernetesResource newResource(MeshCluster cluster) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("meshfed.io/v1alpha1").withKind("MeshCluster")
                .withNewMetadata().withName(cluster.name()).withNamespace(namespace)
                .addToLabels(MANAGED_BY, "meshfed").endMetadata()
                .withAdditionalProperties(Map.of("spec", specOf(cluster)))
                .build();
    }

    private static GenericKubernetesResource updatedResource(GenericKubernetesResource existing, MeshCluster cluster) {
        Map<String, Object> props = new HashMap<>(existing.getAdditionalProperties());
        props.put("spec", specOf(cluster));
        existing.setAdditionalProperties(props);
        return existing;
    }

    /** The resource spec: the cluster without its name (the name is the resource's). */
    private static Map<String, Object> specOf(MeshCluster cluster) {
        Map<String, Object> spec = new LinkedHashMap<>(ModelJson.mapper().convertValue(cluster, MAP));
        spec.remove("name");
        return spec;
    }

    private static StoredCluster toStored(GenericKubernetesResource resource) {
        Map<String, Object> spec = new LinkedHashMap<>(ModelJson.mapper().convertValue(
                resource.getAdditionalProperties().get("spec"), MAP));
        spec.put("name", resource.getMetadata().getName());
        MeshCluster cluster = ModelJson.mapper().convertValue(spec, MeshCluster.class);
        Long generation = resource.getMetadata().getGeneration();
        return new StoredCluster(cluster, generation == null ? 1 : generation,
                resource.getMetadata().getResourceVersion());
    }

    private static void putEncoded(Map<String, String> data, String key, String value) {
        if (value != null && !value.isBlank()) {
            data.put(key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static String decode(String value) {
        return value == null ? null : new String(Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
    }
}
