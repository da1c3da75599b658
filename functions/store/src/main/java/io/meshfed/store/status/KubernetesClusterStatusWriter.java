package io.meshfed.store.status;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.meshfed.store.KubernetesClusterStore;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link ClusterStatusWriter} on the {@code status} subresource of the {@code MeshCluster} resources
 * (knative/manifests/crd/meshcluster.yaml), by server-side apply under a field manager of the writer's own. The CRD
 * declares {@code status.conditions} a list map keyed by {@code type}, so the API server merges each writer's
 * conditions beside the others' and a report removes only what the same writer reported before and names no more.
 * Needs {@code get} on {@code meshclusters} and {@code patch} on {@code meshclusters/status} (knative/manifests/rbac/).
 *
 * <p>Reads the resource first to keep each condition's {@code lastTransitionTime} while its status stays the same. A
 * concurrent report of the same writer may then set the time of the same transition twice, seconds apart: harmless.
 * Thread-safe: holds no state beyond the client.
 */
public final class KubernetesClusterStatusWriter implements ClusterStatusWriter {
    private final KubernetesClient client;
    private final String namespace;
    private final String fieldManager;
    private final Clock clock;

    /** {@code fieldManager}: the writer's own name, e.g. {@code meshfed-export}; one per function. */
    public KubernetesClusterStatusWriter(KubernetesClient client, String namespace, String fieldManager, Clock clock) {
        this.client = Objects.requireNonNull(client);
        this.namespace = Objects.requireNonNull(namespace);
        this.fieldManager = Objects.requireNonNull(fieldManager);
        this.clock = Objects.requireNonNull(clock);
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean report(String cluster, Report report) {
        GenericKubernetesResource current = client.genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                .inNamespace(namespace).withName(cluster).get();
        if (current == null) {
            return false;
        }
        Map<String, Map<?, ?>> previous = previousConditions(current);
        Long generation = current.getMetadata().getGeneration();
        String now = timestamp(clock.instant());
        List<Map<String, Object>> conditions = new ArrayList<>();
        for (Condition c : report.conditions()) {
            Map<?, ?> before = previous.get(c.type());
            Object since = before != null && c.status().wire().equals(before.get("status"))
                    && before.get("lastTransitionTime") != null ? before.get("lastTransitionTime") : now;
            Map<String, Object> condition = new LinkedHashMap<>();
            condition.put("type", c.type());
            condition.put("status", c.status().wire());
            condition.put("reason", c.reason());
            condition.put("message", c.message());
            condition.put("lastTransitionTime", since);
            if (generation != null) {
                condition.put("observedGeneration", generation);
            }
            conditions.add(condition);
        }
        Map<String, Object> status = new LinkedHashMap<>();
        Object previousStatus = current.getAdditionalProperties().get("status");
        for (String kept : report.kept()) {
            Map<?, ?> before = previous.get(kept);
            if (before != null) {
                conditions.add(new LinkedHashMap<>((Map<String, Object>) before));
            } else if ((kept.equals(CATALOG_FIELD) || kept.equals(CA_FIELD)) && previousStatus instanceof Map<?, ?> m
                    && m.get(kept) != null) {
                status.put(kept, m.get(kept));
            }
        }
        status.put("conditions", conditions);
        report.catalog().ifPresent(c -> status.put("catalog",
                Map.of("syncedAt", timestamp(c.syncedAt()), "services", c.services())));
        report.ca().ifPresent(c -> status.put("ca", Map.of("notAfter", timestamp(c.notAfter()), "serial", c.serial())));
        GenericKubernetesResource apply = new GenericKubernetesResourceBuilder()
                .withApiVersion("meshfed.io/v1alpha1").withKind("MeshCluster")
                .withNewMetadata().withName(cluster).withNamespace(namespace).endMetadata()
                .withAdditionalProperties(Map.of("status", status))
                .build();
        try {
            client.genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER).inNamespace(namespace)
                    .resource(apply).subresource("status")
                    .patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                            .withFieldManager(fieldManager).withForce(true).build());
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                return false; // deregistered in between
            }
            throw e;
        }
    }

    private static Map<String, Map<?, ?>> previousConditions(GenericKubernetesResource current) {
        Map<String, Map<?, ?>> out = new HashMap<>();
        if (current.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                && status.get("conditions") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m && m.get("type") instanceof String type) {
                    out.put(type, m);
                }
            }
        }
        return out;
    }

    /** RFC 3339 in UTC with seconds, as Kubernetes writes its own times. */
    static String timestamp(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
