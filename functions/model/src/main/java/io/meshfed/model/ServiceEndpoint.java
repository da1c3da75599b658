package io.meshfed.model;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One workload address of an exported service in its own cluster, with its locality (region from the cluster,
 * zone from the EndpointSlice or node), its readiness and the pod labels that subsets select on.
 * Labels are kept sorted so equal endpoints serialize identically.
 */
public record ServiceEndpoint(String address, Locality locality, boolean ready, Map<String, String> labels) {
    public ServiceEndpoint {
        Violations v = new Violations();
        if (!Rules.isIpAddress(address)) {
            v.add("address", "must be an IP address, got '" + address + "'");
        }
        v.check("locality", Rules.required(locality));
        v.throwIfAny();
        labels = labels == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(labels));
    }

    public ServiceEndpoint withReady(boolean newReady) {
        return newReady == ready ? this : new ServiceEndpoint(address, locality, newReady, labels);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServiceEndpoint e && ready == e.ready && address.equals(e.address)
                && locality.equals(e.locality) && labels.equals(e.labels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, locality, ready, labels);
    }
}
