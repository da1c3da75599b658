package io.meshfed.federation;

import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import java.util.List;

/**
 * What one cluster's istiod must see, as fabric8 Istio model objects
 * ({@code networking.istio.io/v1} resources; their specs are the v1alpha3 proto messages). Each list is sorted by
 * "namespace/name" and holds no duplicate names (istiod's MCP client silently overwrites duplicates).
 */
public record FederationConfig(
        String targetCluster,
        List<ServiceEntry> serviceEntries,
        List<DestinationRule> destinationRules,
        List<Gateway> gateways) {
    public FederationConfig {
        serviceEntries = List.copyOf(serviceEntries);
        destinationRules = List.copyOf(destinationRules);
        gateways = List.copyOf(gateways);
    }
}
