package io.meshfed.policy;

import io.meshfed.model.policy.PolicyStatus;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import java.util.List;

/**
 * What the fleet's policies add to one cluster's istiod, beside {@link io.meshfed.federation.FederationConfig}:
 * VirtualServices and AuthorizationPolicies, EnvoyFilters for what Istio's API lacks, and DestinationRules that
 * <em>replace</em> federation's of the same name (its settings with the policies' merged in). Each list is sorted by
 * "namespace/name" with no name twice; {@code statuses} holds one entry per policy that concerns this cluster, sorted
 * by policy. Objects are new and read-only.
 */
public record PolicyConfig(String targetCluster, List<VirtualService> virtualServices,
        List<DestinationRule> destinationRules, List<AuthorizationPolicy> authorizationPolicies,
        List<EnvoyFilter> envoyFilters, List<PolicyStatus> statuses) {
    public PolicyConfig {
        virtualServices = List.copyOf(virtualServices);
        destinationRules = List.copyOf(destinationRules);
        authorizationPolicies = List.copyOf(authorizationPolicies);
        envoyFilters = List.copyOf(envoyFilters);
        statuses = List.copyOf(statuses);
    }
}
