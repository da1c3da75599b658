package io.meshfed.xds.protocol;

import io.meshfed.xds.cache.TypeUrls;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Types in the order changes are pushed: clusters before endpoints, listeners before routes, then Istio types. */
final class PushOrder {
    private PushOrder() {
    }

    static List<String> of(Collection<String> typeUrls) {
        List<String> ordered = new ArrayList<>();
        for (String t : TypeUrls.ENVOY_ORDER) {
            if (typeUrls.contains(t)) {
                ordered.add(t);
            }
        }
        typeUrls.stream().filter(t -> !TypeUrls.ENVOY_ORDER.contains(t)).sorted().forEach(ordered::add);
        return ordered;
    }
}
