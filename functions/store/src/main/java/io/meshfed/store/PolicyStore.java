package io.meshfed.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.ModelJson;
import io.meshfed.model.Violation;
import io.meshfed.model.policy.AccessPolicy;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.model.policy.TrafficPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The fleet's TrafficPolicies and AccessPolicies as kept in the management cluster ({@code meshfed.io/v1alpha1}
 * custom resources, or local mode's {@code policies/} directory), and each one's per-cluster status. A stored policy
 * that breaks a rule is listed as {@link Invalid} with every violation, never dropped silently. Implementations are
 * thread-safe.
 */
public interface PolicyStore {
    String API_VERSION = "meshfed.io/v1alpha1";
    String TRAFFIC_POLICY = "TrafficPolicy";
    String ACCESS_POLICY = "AccessPolicy";

    /** Every stored policy. */
    Stored list();

    /**
     * Records what {@code kind}/{@code name} did in each cluster (sorted by cluster), writing only when it differs from
     * what is recorded; a policy that is no longer stored is skipped.
     */
    void writeStatus(String kind, String name, List<PolicyStatus> clusters);

    /** The recorded statuses, by "Kind/name". */
    Map<String, List<PolicyStatus>> statuses();

    /**
     * Removes the recorded status of every policy not in {@code stored} ("Kind/name"), so a deleted policy's status
     * does not outlive it. A status kept on its resource (Kubernetes) goes with the resource: nothing to do there.
     */
    default void forgetStatusesExcept(java.util.Set<String> stored) {
    }

    /** A stored policy the model refuses, with why. */
    record Invalid(String kind, String name, List<Violation> violations) {
        public Invalid {
            violations = List.copyOf(violations);
        }

        public String ref() {
            return kind + "/" + name;
        }
    }

    /** The valid policies, each list sorted by name, and the invalid ones. */
    record Stored(List<TrafficPolicy> traffic, List<AccessPolicy> access, List<Invalid> invalid) {
        public static final Stored EMPTY = new Stored(List.of(), List.of(), List.of());

        public Stored {
            traffic = traffic.stream().sorted(java.util.Comparator.comparing(TrafficPolicy::name)).toList();
            access = access.stream().sorted(java.util.Comparator.comparing(AccessPolicy::name)).toList();
            invalid = List.copyOf(invalid);
        }

        public boolean isEmpty() {
            return traffic.isEmpty() && access.isEmpty() && invalid.isEmpty();
        }
    }

    /**
     * Reads resource documents ({@code apiVersion}, {@code kind}, {@code metadata.name}, {@code spec}) into
     * {@code into}; a document of another kind or version is reported as invalid too.
     */
    static Stored read(List<JsonNode> documents, String where) {
        List<TrafficPolicy> traffic = new ArrayList<>();
        List<AccessPolicy> access = new ArrayList<>();
        List<Invalid> invalid = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (JsonNode doc : documents) {
            if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isObject() && doc.isEmpty()) {
                continue;
            }
            String kind = doc.path("kind").asText("");
            String name = doc.path("metadata").path("name").asText("");
            if (!API_VERSION.equals(doc.path("apiVersion").asText())
                    || !(TRAFFIC_POLICY.equals(kind) || ACCESS_POLICY.equals(kind))) {
                invalid.add(new Invalid(kind.isEmpty() ? "?" : kind, name.isEmpty() ? "?" : name, List.of(new Violation(
                        "apiVersion", where + ": expected apiVersion " + API_VERSION + " and kind TrafficPolicy or"
                                + " AccessPolicy, got " + doc.path("apiVersion").asText("none") + " "
                                + (kind.isEmpty() ? "no kind" : kind)))));
                continue;
            }
            if (!seen.add(kind + "/" + name)) {
                invalid.add(new Invalid(kind, name, List.of(new Violation("metadata.name", where + ": " + kind + " '"
                        + name + "' is written twice; neither is used"))));
                traffic.removeIf(p -> p.name().equals(name) && kind.equals(TRAFFIC_POLICY));
                access.removeIf(p -> p.name().equals(name) && kind.equals(ACCESS_POLICY));
                continue;
            }
            try {
                if (TRAFFIC_POLICY.equals(kind)) {
                    traffic.add(new TrafficPolicy(name, ModelJson.mapper().treeToValue(doc.get("spec"),
                            TrafficPolicy.Spec.class)));
                } else {
                    access.add(new AccessPolicy(name, ModelJson.mapper().treeToValue(doc.get("spec"),
                            AccessPolicy.Spec.class)));
                }
            } catch (InvalidSpecException e) {
                invalid.add(new Invalid(kind, name, e.violations()));
            } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
                invalid.add(new Invalid(kind, name, List.of(new Violation("spec", where + ": "
                        + Objects.requireNonNullElse(e.getMessage(), e.toString()).lines().findFirst().orElse("")))));
            }
        }
        return new Stored(traffic, access, invalid);
    }
}
