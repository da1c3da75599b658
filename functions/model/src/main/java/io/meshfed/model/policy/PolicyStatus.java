package io.meshfed.model.policy;

import java.util.List;
import java.util.Objects;

/**
 * What one policy did in one cluster: {@code state}, the federated services ("namespace/name") it was applied to
 * there, and a message per problem. Written to the policy's {@code status.clusters} and shown by the CLI.
 *
 * @param policy "TrafficPolicy/name" or "AccessPolicy/name"
 */
public record PolicyStatus(String policy, String cluster, State state, List<String> services, List<String> messages) {
    public PolicyStatus {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(state, "state");
        services = List.copyOf(services);
        messages = List.copyOf(messages);
    }

    /**
     * From worst to best; a policy's state in a cluster is the worst that happened to it there. A policy never wins
     * or loses silently: every setting it could not apply is one of the first three, with a message.
     */
    public enum State {
        /** The stored policy breaks a rule of the model (cluster "*"): nothing of it applies anywhere. */
        Invalid,
        /** Another policy sets the same field for a service: the policy first by name keeps it, this one does not. */
        Conflict,
        /** A combination this cluster cannot express for a selected service (named in the message); the rest applied. */
        Unsupported,
        /** The destination selects no federated service this cluster sees (or, for access, no workload of its own). */
        NoMatch,
        /** Every setting applied to every selected service. */
        Applied
    }
}
