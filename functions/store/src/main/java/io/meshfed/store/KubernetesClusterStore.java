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
 * reader follows the resource's pointer, so it sees either the old pair or the new pair, never a mix. Only
 * after the resource moved does the previous Secret get deleted; a Secret created by a writer that lost the
 * race is deleted by that writer. The API server bumps {@code metadata.generation} on spec changes.
 * Thread-safe: holds no state beyond the client.
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
        Secret secret = client.secrets().inNamespace(namespace).withName(api.get().credentialsSecret()).get();
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
        boolean createdSecret = credentials.isPresent() && createSecret(cluster, credentials.get());
        try {
            GenericKubernetesResource written = existing == null
                    ? resources().resource(newResource(cluster)).create()
                    : resources().resource(updatedResource(existing, cluster)).update();
            before.map(b -> b.cluster().apiServer()).map(ApiServerRef::credentialsSecret)
                    .filter(previous -> !previous.equals(secretOf(cluster)))
                    .ifPresent(this::deleteSecret);
            return new PutOutcome(existing == null ? PutResult.CREATED : PutResult.UPDATED, toStored(written));
        } catch (KubernetesClientException e) {
            if (createdSecret) {
                deleteSecret(secretOf(cluster));
            }
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                throw new ConcurrentChangeException("MeshCluster " + cluster.name() + " was changed concurrently", e);
            }
            throw e;
        }
    }

    @Override
    public boolean delete(String name) {
        boolean removedResource = !resources().withName(name).delete().isEmpty();
        boolean removedSecrets = !client.secrets().inNamespace(namespace).withLabel(CLUSTER_LABEL, name)
                .delete().isEmpty();
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

    /** Creates the content-addressed Secret; false when it already existed (same name, same content). */
    private boolean createSecret(MeshCluster cluster, ClusterCredentials c) {
        Map<String, String> data = new LinkedHashMap<>();
        putEncoded(data, "token", c.token());
        putEncoded(data, "client-certificate", c.clientCertificate());
        putEncoded(data, "client-key", c.clientKey());
        Secret secret = new SecretBuilder()
                .withNewMetadata().withName(secretOf(cluster)).withNamespace(namespace)
                .addToLabels(MANAGED_BY, "meshfed").addToLabels(CLUSTER_LABEL, cluster.name()).endMetadata()
                .withType("Opaque").withImmutable(true).withData(data).build();
        try {
            client.secrets().inNamespace(namespace).resource(secret).create();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return false;
            }
            throw e;
        }
    }

    private void deleteSecret(String name) {
        client.secrets().inNamespace(namespace).withName(name).delete();
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
