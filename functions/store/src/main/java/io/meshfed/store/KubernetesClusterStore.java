package io.meshfed.store;

import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ModelJson;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link ClusterStore} on the management cluster's Kubernetes API: one {@code MeshCluster} custom resource
 * ({@code meshfed.io/v1alpha1}, cluster spec without credentials) and one Secret per cluster (credentials).
 *
 * <p>Write order: the Secret first, then the resource. A resource write that fails restores the Secret's
 * previous state, so readers (who only trust clusters whose resource exists) never see half a write. The
 * resource's resourceVersion guards concurrent writers; the API server bumps {@code metadata.generation} on
 * spec changes. Thread-safe: holds no state beyond the client.
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

    /** The name of the Secret that holds {@code cluster}'s credentials. */
    public static String credentialsSecretName(String cluster) {
        return "meshfed-cluster-" + cluster + "-credentials";
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
        Secret secret = client.secrets().inNamespace(namespace).withName(credentialsSecretName(name)).get();
        if (secret == null || secret.getData() == null) {
            return Optional.empty();
        }
        Map<String, String> data = secret.getData();
        return Optional.of(new ClusterCredentials(
                decode(data.get("token")), decode(data.get("client-certificate")), decode(data.get("client-key"))));
    }

    @Override
    public PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> credentials) {
        GenericKubernetesResource existing = resources().withName(cluster.name()).get();
        Optional<StoredCluster> before = Optional.ofNullable(existing).map(KubernetesClusterStore::toStored);
        Optional<ClusterCredentials> credentialsBefore = credentials(cluster.name());
        if (before.isPresent() && before.get().cluster().equals(cluster) && credentialsBefore.equals(credentials)) {
            return new PutOutcome(PutResult.UNCHANGED, before.get());
        }
        Secret previousSecret = client.secrets().inNamespace(namespace)
                .withName(credentialsSecretName(cluster.name())).get();
        writeCredentials(cluster.name(), credentials);
        try {
            GenericKubernetesResource written = existing == null
                    ? resources().resource(newResource(cluster)).create()
                    : resources().resource(updatedResource(existing, cluster)).update();
            return new PutOutcome(existing == null ? PutResult.CREATED : PutResult.UPDATED, toStored(written));
        } catch (KubernetesClientException e) {
            restoreSecret(cluster.name(), previousSecret);
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                throw new ConcurrentChangeException("MeshCluster " + cluster.name() + " was changed concurrently", e);
            }
            throw e;
        }
    }

    @Override
    public boolean delete(String name) {
        boolean removedResource = !resources().withName(name).delete().isEmpty();
        boolean removedSecret = !client.secrets().inNamespace(namespace).withName(credentialsSecretName(name))
                .delete().isEmpty();
        return removedResource || removedSecret;
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> resources() {
        return client.genericKubernetesResources(MESH_CLUSTER).inNamespace(namespace);
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

    private void writeCredentials(String cluster, Optional<ClusterCredentials> credentials) {
        if (credentials.isEmpty()) {
            client.secrets().inNamespace(namespace).withName(credentialsSecretName(cluster)).delete();
            return;
        }
        ClusterCredentials c = credentials.get();
        Map<String, String> data = new LinkedHashMap<>();
        putEncoded(data, "token", c.token());
        putEncoded(data, "client-certificate", c.clientCertificate());
        putEncoded(data, "client-key", c.clientKey());
        Secret secret = new SecretBuilder()
                .withNewMetadata().withName(credentialsSecretName(cluster)).withNamespace(namespace)
                .addToLabels(MANAGED_BY, "meshfed").addToLabels(CLUSTER_LABEL, cluster).endMetadata()
                .withType("Opaque").withData(data).build();
        client.secrets().inNamespace(namespace).resource(secret).createOr(op -> op.update());
    }

    private void restoreSecret(String cluster, Secret previous) {
        if (previous == null) {
            client.secrets().inNamespace(namespace).withName(credentialsSecretName(cluster)).delete();
        } else {
            previous.getMetadata().setResourceVersion(null);
            client.secrets().inNamespace(namespace).resource(previous).createOr(op -> op.update());
        }
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
