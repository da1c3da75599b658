package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.meshfed.model.policy.AccessPolicy;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.model.policy.TrafficPolicy;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The policy CRDs' schemas have exactly the model's fields, at every depth (a field the schema lacks would be pruned
 * by the API server before the model ever sees it; one the model lacks would be refused by it), and the status schema
 * has exactly {@link PolicyStatus}'s fields and states.
 */
class PolicyCrdsTest {

    @Test
    void trafficPolicySchemaIsTheModel() {
        JSONSchemaProps root = schema("trafficpolicies.meshfed.io", "TrafficPolicy");
        List<String> differences = new ArrayList<>();
        compare(TrafficPolicy.Spec.class, root.getProperties().get("spec"), "spec", differences);
        compareStatus(root, differences);
        assertEquals(List.of(), differences);
    }

    @Test
    void accessPolicySchemaIsTheModel() {
        JSONSchemaProps root = schema("accesspolicies.meshfed.io", "AccessPolicy");
        List<String> differences = new ArrayList<>();
        compare(AccessPolicy.Spec.class, root.getProperties().get("spec"), "spec", differences);
        compareStatus(root, differences);
        assertEquals(List.of(), differences);
        assertEquals(Arrays.stream(AccessPolicy.Action.values()).map(Enum::name).toList(),
                root.getProperties().get("spec").getProperties().get("action").getEnum().stream()
                        .map(n -> n.asText()).toList());
    }

    private static JSONSchemaProps schema(String name, String kind) {
        CustomResourceDefinition crd = Manifests.named(CustomResourceDefinition.class, name);
        assertEquals("meshfed.io", crd.getSpec().getGroup());
        assertEquals(kind, crd.getSpec().getNames().getKind());
        assertEquals("Namespaced", crd.getSpec().getScope());
        assertEquals("v1alpha1", crd.getSpec().getVersions().get(0).getName());
        assertEquals(true, crd.getSpec().getVersions().get(0).getSubresources().getStatus() != null,
                "the bridge writes status through the subresource");
        return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    }

    private static void compareStatus(JSONSchemaProps root, List<String> differences) {
        JSONSchemaProps entry = root.getProperties().get("status").getProperties().get("clusters").getItems()
                .getSchema();
        compare(PolicyStatus.class, entry, "status.clusters[]", differences);
        List<String> states = Arrays.stream(PolicyStatus.State.values()).map(Enum::name).sorted().toList();
        List<String> schemaStates = entry.getProperties().get("state").getEnum().stream().map(n -> n.asText())
                .sorted().toList();
        if (!states.equals(schemaStates)) {
            differences.add("status.clusters[].state: model " + states + ", schema " + schemaStates);
        }
    }

    /** Record components against schema properties, descending into nested records and lists of records. */
    private static void compare(Class<?> type, JSONSchemaProps schema, String path, List<String> differences) {
        Set<String> model = Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> props = new TreeSet<>(schema.getProperties().keySet());
        if (!model.equals(props)) {
            differences.add(path + ": model " + model + ", schema " + props);
            return;
        }
        for (RecordComponent c : type.getRecordComponents()) {
            Class<?> nested = c.getType();
            JSONSchemaProps child = schema.getProperties().get(c.getName());
            if (List.class.equals(nested)) {
                Type element = ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0];
                if (element instanceof Class<?> e && e.isRecord()) {
                    compare(e, child.getItems().getSchema(), path + "." + c.getName() + "[]", differences);
                }
            } else if (nested.isRecord()) {
                compare(nested, child, path + "." + c.getName(), differences);
            }
        }
    }
}
