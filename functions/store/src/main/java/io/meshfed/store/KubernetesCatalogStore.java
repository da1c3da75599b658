package io.meshfed.store;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ModelJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * {@link CatalogStore} as one ConfigMap per cluster ({@code meshfed-catalog-<cluster>}) holding the catalog
 * as gzip'd JSON in {@code binaryData} (a 1,000-service catalog stays far below the 1 MiB object limit),
 * with its version and content hash as annotations so they can be read without decoding.
 *
 * <p>Compare-and-set: the stored version is checked against the expected one, and the write carries the
 * resourceVersion it read, so a writer that raced another gets {@link ConcurrentChangeException}.
 */
public final class KubernetesCatalogStore implements CatalogStore {
    public static final String CATALOG_LABEL = "meshfed.io/catalog";
    public static final String VERSION_ANNOTATION = "meshfed.io/catalog-version";
    public static final String HASH_ANNOTATION = "meshfed.io/content-hash";
    private static final String DATA_KEY = "catalog.json.gz";

    private final KubernetesClient client;
    private final String namespace;

    public KubernetesCatalogStore(KubernetesClient client, String namespace) {
        this.client = Objects.requireNonNull(client);
        this.namespace = Objects.requireNonNull(namespace);
    }

    public static String configMapName(String cluster) {
        return "meshfed-catalog-" + cluster;
    }

    @Override
    public Optional<ClusterCatalog> get(String cluster) {
        return Optional.ofNullable(configMaps().withName(configMapName(cluster)).get())
                .map(KubernetesCatalogStore::decode);
    }

    @Override
    public List<ClusterCatalog> list() {
        return configMaps().withLabel(CATALOG_LABEL, "true").list().getItems().stream()
                .map(KubernetesCatalogStore::decode)
                .sorted(Comparator.comparing(ClusterCatalog::clusterName))
                .toList();
    }

    @Override
    public void put(ClusterCatalog catalog, long expectedVersion) {
        String name = configMapName(catalog.clusterName());
        ConfigMap existing = configMaps().withName(name).get();
        long storedVersion = existing == null ? 0 : Long.parseLong(
                existing.getMetadata().getAnnotations().getOrDefault(VERSION_ANNOTATION, "0"));
        CatalogStore.checkWrite(catalog, expectedVersion, storedVersion, Optional.ofNullable(existing)
                .map(c -> c.getMetadata().getAnnotations().get(HASH_ANNOTATION)));
        ConfigMap desired = new ConfigMapBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels(CATALOG_LABEL, "true")
                .addToLabels(KubernetesClusterStore.CLUSTER_LABEL, catalog.clusterName())
                .addToLabels(KubernetesClusterStore.MANAGED_BY, "meshfed")
                .addToAnnotations(VERSION_ANNOTATION, Long.toString(catalog.version()))
                .addToAnnotations(HASH_ANNOTATION, catalog.contentHash())
                .withResourceVersion(existing == null ? null : existing.getMetadata().getResourceVersion())
                .endMetadata()
                .withBinaryData(Map.of(DATA_KEY, Base64.getEncoder().encodeToString(gzip(catalog))))
                .build();
        try {
            if (existing == null) {
                configMaps().resource(desired).create();
            } else {
                configMaps().resource(desired).update();
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                throw new ConcurrentChangeException("catalog of " + catalog.clusterName()
                        + " was changed concurrently", e);
            }
            throw e;
        }
    }

    @Override
    public boolean delete(String cluster) {
        return !configMaps().withName(configMapName(cluster)).delete().isEmpty();
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<ConfigMap,
            io.fabric8.kubernetes.api.model.ConfigMapList,
            io.fabric8.kubernetes.client.dsl.Resource<ConfigMap>> configMaps() {
        return client.configMaps().inNamespace(namespace);
    }

    private static byte[] gzip(ClusterCatalog catalog) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            ModelJson.mapper().writeValue(out, catalog);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static ClusterCatalog decode(ConfigMap configMap) {
        String data = configMap.getBinaryData() == null ? null : configMap.getBinaryData().get(DATA_KEY);
        if (data == null) {
            throw new IllegalStateException("ConfigMap " + configMap.getMetadata().getName() + " has no " + DATA_KEY);
        }
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(data)))) {
            return ModelJson.mapper().readValue(in, ClusterCatalog.class);
        } catch (IOException e) {
            throw new UncheckedIOException("ConfigMap " + configMap.getMetadata().getName()
                    + " does not hold a readable catalog", e);
        }
    }
}
