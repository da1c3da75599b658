package io.meshfed.federation;

import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import java.util.List;

/**
 * What one {@link FederationState#update} changed in the target's config: objects created or replaced, and the
 * "namespace/name" keys of objects that disappeared. An object whose content did not change is not listed.
 * Each list is sorted by "namespace/name".
 */
public record FederationDelta(
        List<ServiceEntry> upsertedServiceEntries,
        List<String> removedServiceEntries,
        List<DestinationRule> upsertedDestinationRules,
        List<String> removedDestinationRules,
        List<Gateway> upsertedGateways,
        List<String> removedGateways,
        List<WorkloadEntry> upsertedWorkloadEntries,
        List<String> removedWorkloadEntries) {
    public FederationDelta {
        upsertedServiceEntries = List.copyOf(upsertedServiceEntries);
        removedServiceEntries = List.copyOf(removedServiceEntries);
        upsertedDestinationRules = List.copyOf(upsertedDestinationRules);
        removedDestinationRules = List.copyOf(removedDestinationRules);
        upsertedGateways = List.copyOf(upsertedGateways);
        removedGateways = List.copyOf(removedGateways);
        upsertedWorkloadEntries = List.copyOf(upsertedWorkloadEntries);
        removedWorkloadEntries = List.copyOf(removedWorkloadEntries);
    }

    public boolean isEmpty() {
        return upsertedServiceEntries.isEmpty() && removedServiceEntries.isEmpty()
                && upsertedDestinationRules.isEmpty() && removedDestinationRules.isEmpty()
                && upsertedGateways.isEmpty() && removedGateways.isEmpty()
                && upsertedWorkloadEntries.isEmpty() && removedWorkloadEntries.isEmpty();
    }
}
