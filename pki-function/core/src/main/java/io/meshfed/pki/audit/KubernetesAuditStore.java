package io.meshfed.pki.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.ca.CaStoreException;
import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.signing.AuditStore;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The audit trail as ConfigMaps in the management cluster, one per record, labelled
 * {@code meshfed.io/audit=issued|rejected}. An issuance is named after the digest of its request id
 * ({@code meshfed-pki-issued-<sha256 prefix>}) and written with a create: the API server's conflict makes the
 * first writer win across replicas. A rejection is named
 * {@code meshfed-pki-rejected-<epoch millis>-<sequence>-<random>} and labelled
 * {@code meshfed.io/cluster=<cluster>}; after writing one, the store deletes that cluster's oldest
 * rejections beyond {@code rejectionsKept} (two replicas pruning at once may both delete the same one, which is
 * harmless). Records hold public material only, hence ConfigMaps, not Secrets. Thread-safe.
 */
public final class KubernetesAuditStore implements AuditStore {
    static final String LABEL = "meshfed.io/audit";
    static final String KEY = "record.json";
    static final String CLUSTER_LABEL = "meshfed.io/cluster";

    private final KubernetesClient client;
    private final String namespace;
    private final int rejectionsKept;
    private final SecureRandom random = new SecureRandom();
    private final java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();

    public KubernetesAuditStore(KubernetesClient client, String namespace) {
        this(client, namespace, DEFAULT_REJECTIONS_KEPT);
    }

    public KubernetesAuditStore(KubernetesClient client, String namespace, int rejectionsKept) {
        this.client = client;
        this.namespace = namespace;
        this.rejectionsKept = AuditBounds.checkKept(rejectionsKept);
    }

    @Override
    public Optional<AuditRecord> findIssued(String requestId) {
        try {
            ConfigMap map = client.configMaps().inNamespace(namespace).withName(issuedName(requestId)).get();
            return map == null ? Optional.empty() : Optional.of(parse(map));
        } catch (KubernetesClientException e) {
            throw new CaStoreException("reading the audit record of " + requestId + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public AuditRecord recordIssued(AuditRecord record) {
        try {
            client.configMaps().inNamespace(namespace).resource(configMap(issuedName(record.requestId()), "issued",
                    record)).create();
            return record;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return findIssued(record.requestId()).orElseThrow(() -> new CaStoreException(
                        "audit record of " + record.requestId() + " conflicted and then vanished", e));
            }
            throw new CaStoreException("writing the audit record of " + record.requestId() + " failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void recordRejected(AuditRecord record) {
        // Sorting by name sorts by time: epoch millis, then this process's sequence within the millisecond; the
        // random part keeps names of concurrent replicas apart.
        String name = String.format("meshfed-pki-rejected-%013d-%06d-%s", System.currentTimeMillis(),
                sequence.getAndIncrement() % 1_000_000, HexFormat.of().formatHex(randomBytes()));
        try {
            client.configMaps().inNamespace(namespace).resource(configMap(name, "rejected", record)).create();
            List<String> names = client.configMaps().inNamespace(namespace).withLabel(LABEL, "rejected")
                    .withLabel(CLUSTER_LABEL, record.cluster()).list().getItems().stream()
                    .map(m -> m.getMetadata().getName()).sorted().toList();
            for (String old : names.subList(0, Math.max(0, names.size() - rejectionsKept))) {
                client.configMaps().inNamespace(namespace).withName(old).delete();
            }
        } catch (KubernetesClientException e) {
            throw new CaStoreException("writing a rejection audit record for cluster " + record.cluster()
                    + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<AuditRecord> list() {
        try {
            return client.configMaps().inNamespace(namespace).withLabel(LABEL).list().getItems().stream()
                    .map(KubernetesAuditStore::parse)
                    .sorted(Comparator.comparing(r -> java.time.Instant.parse(r.time())))
                    .toList();
        } catch (KubernetesClientException e) {
            throw new CaStoreException("listing audit records failed: " + e.getMessage(), e);
        }
    }

    static String issuedName(String requestId) {
        return "meshfed-pki-issued-" + Certificates.sha256(requestId.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    }

    private byte[] randomBytes() {
        byte[] bytes = new byte[4];
        random.nextBytes(bytes);
        return bytes;
    }

    private ConfigMap configMap(String name, String kind, AuditRecord record) {
        try {
            return new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace(namespace)
                    .addToLabels("app.kubernetes.io/part-of", "meshfed")
                    .addToLabels(LABEL, kind)
                    .addToLabels(record.cluster() == null ? Map.of() : Map.of(CLUSTER_LABEL, record.cluster()))
                    .endMetadata()
                    .addToData(KEY, ModelJson.mapper().writeValueAsString(record))
                    .build();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("audit records always serialize", e);
        }
    }

    private static AuditRecord parse(ConfigMap map) {
        try {
            return ModelJson.mapper().readValue(map.getData().get(KEY), AuditRecord.class);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new CaStoreException("audit ConfigMap " + map.getMetadata().getName() + " is unreadable", e);
        }
    }
}
