package io.meshfed.model.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.meshfed.model.Rules;
import io.meshfed.model.Violations;
import java.util.List;

/**
 * Which federated services a policy is about: every service of {@code namespace} that some cluster exports, or only
 * {@code service}; with {@code exportedBy}, only services at least one of those clusters exports. A policy acts on a
 * service's federated name ({@code <service>.<namespace>.svc.clusterset.local}) and, for destination settings, on
 * its per-cluster names ({@code <service>.<namespace>.svc.<cluster>.global}).
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record PolicyDestination(String namespace, String service, List<String> exportedBy) {
    public PolicyDestination {
        exportedBy = exportedBy == null ? List.of() : exportedBy.stream().sorted().distinct().toList();
    }

    void check(Violations v, String at) {
        v.check(at + ".namespace", Rules.dns1123Label(namespace));
        if (service != null) {
            v.check(at + ".service", Rules.dns1123Label(service));
        }
        for (int i = 0; i < exportedBy.size(); i++) {
            v.check(at + ".exportedBy[" + i + "]", Rules.dns1123Label(exportedBy.get(i)));
        }
    }

    /** True when the service {@code namespace/name}, exported by {@code exporters}, is selected. */
    public boolean selects(String serviceNamespace, String serviceName, java.util.Collection<String> exporters) {
        return namespace.equals(serviceNamespace) && (service == null || service.equals(serviceName))
                && (exportedBy.isEmpty() || exporters.stream().anyMatch(exportedBy::contains));
    }
}
