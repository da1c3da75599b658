package io.meshfed.federation;

import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.Gateway;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.fabric8.istio.api.networking.v1.WorkloadEntry;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one cluster's istiod must see, as fabric8 Istio model objects
 * ({@code networking.istio.io/v1} resources; their specs are the v1alpha3 proto messages). Each list is sorted by
 * "namespace/name" and holds no duplicate names (istiod's MCP client silently overwrites duplicates).
 *
 * <p>A ServiceEntry whose endpoints are addresses selects them from {@code workloadEntries} (one per pod reached
 * directly, one per group of pods behind a remote gateway, weighted by the group's size), so that a change of
 * endpoints or weights changes WorkloadEntries only; one whose gateway is known by DNS name carries its endpoints
 * inline.
 *
 * <p>{@code catalogVersions} maps every cluster whose catalog was translated to the catalog version that produced
 * this config (sorted by cluster name). The versions live here rather than on each object so that a change to one
 * service of a cluster changes only that service's objects.
 *
 * <p>The model objects are shared, not copied: the translator may hand the same instance to several configs and
 * to later snapshots. Treat them as read-only.
 */
public record FederationConfig(
        String targetCluster,
        List<ServiceEntry> serviceEntries,
        List<DestinationRule> destinationRules,
        List<Gateway> gateways,
        List<WorkloadEntry> workloadEntries,
        Map<String, Long> catalogVersions) {
    public FederationConfig {
        serviceEntries = List.copyOf(serviceEntries);
        workloadEntries = List.copyOf(workloadEntries);
        destinationRules = List.copyOf(destinationRules);
        gateways = List.copyOf(gateways);
        catalogVersions = catalogVersions == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new TreeMap<>(catalogVersions));
    }

    /** A config without catalog versions. */
    public FederationConfig(String targetCluster, List<ServiceEntry> serviceEntries,
            List<DestinationRule> destinationRules, List<Gateway> gateways, List<WorkloadEntry> workloadEntries) {
        this(targetCluster, serviceEntries, destinationRules, gateways, workloadEntries, Map.of());
    }
}
