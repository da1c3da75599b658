package io.meshfed.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.meshfed.model.ModelJson;
import io.meshfed.model.policy.PolicyStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link PolicyStore} on the management cluster: TrafficPolicy and AccessPolicy custom resources
 * ({@code knative/manifests/crd/}) in one namespace; statuses go to each resource's {@code status.clusters} through
 * the status subresource, so writing one never changes a spec or its generation. Thread-safe: holds no state beyond
 * the client.
 */
public final class KubernetesPolicyStore implements PolicyStore {
    public static final ResourceDefinitionContext TRAFFIC = new ResourceDefinitionContext.Builder()
            .withGroup("meshfed.io").withVersion("v1alpha1").withKind(TRAFFIC_POLICY).withPlural("trafficpolicies")
            .withNamespaced(true).build();
    public static final ResourceDefinitionContext ACCESS = new ResourceDefinitionContext.Builder()
            .withGroup("meshfed.io").withVersion("v1alpha1").withKind(ACCESS_POLICY).withPlural("accesspolicies")
            .withNamespaced(true).build();
    private static final TypeReference<List<PolicyStatus>> STATUSES = new TypeReference<>() {
    };

    private final KubernetesClient client;
    private final String namespace;

    public KubernetesPolicyStore(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** Every stored policy; none when the policy CRDs are not installed (the API server answers 404). */
    @Override
    public Stored list() {
        List<JsonNode> documents = new ArrayList<>();
        for (ResourceDefinitionContext kind : List.of(TRAFFIC, ACCESS)) {
            for (GenericKubernetesResource r : items(kind)) {
                documents.add(document(r));
            }
        }
        return PolicyStore.read(documents, "namespace " + namespace);
    }

    private List<GenericKubernetesResource> items(ResourceDefinitionContext kind) {
        try {
            return client.genericKubernetesResources(kind).inNamespace(namespace).list().getItems();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return List.of();
            }
            throw e;
        }
    }

    /** The resource as the model reads it: apiVersion, kind, name and spec (never status). */
    private static JsonNode document(GenericKubernetesResource r) {
        var doc = ModelJson.mapper().createObjectNode();
        doc.put("apiVersion", r.getApiVersion());
        doc.put("kind", r.getKind());
        doc.putObject("metadata").put("name", r.getMetadata().getName());
        Object spec = r.getAdditionalProperties().get("spec");
        doc.set("spec", spec == null ? null : ModelJson.mapper().valueToTree(spec));
        return doc;
    }

    @Override
    public void writeStatus(String kind, String name, List<PolicyStatus> clusters) {
        var resources = client.genericKubernetesResources(TRAFFIC_POLICY.equals(kind) ? TRAFFIC : ACCESS)
                .inNamespace(namespace);
        GenericKubernetesResource r = resources.withName(name).get();
        if (r == null) {
            return;
        }
        Object wanted = ModelJson.mapper().convertValue(Map.of("clusters", clusters), Object.class);
        if (wanted.equals(r.getAdditionalProperties().get("status"))) {
            return;
        }
        r.getAdditionalProperties().put("status", wanted);
        try {
            resources.resource(r).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 && e.getCode() != 404) {
                throw e;
            }
            // 409: another bridge replica wrote first (from the same store, the same status); 404: deleted meanwhile
        }
    }

    @Override
    public Map<String, List<PolicyStatus>> statuses() {
        Map<String, List<PolicyStatus>> out = new TreeMap<>();
        for (ResourceDefinitionContext kind : List.of(TRAFFIC, ACCESS)) {
            for (GenericKubernetesResource r : items(kind)) {
                Object status = r.getAdditionalProperties().get("status");
                if (status instanceof Map<?, ?> m && m.get("clusters") != null) {
                    out.put(kind.getKind() + "/" + r.getMetadata().getName(),
                            ModelJson.mapper().convertValue(m.get("clusters"), STATUSES));
                }
            }
        }
        return out;
    }
}
