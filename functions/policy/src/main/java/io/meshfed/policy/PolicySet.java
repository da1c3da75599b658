package io.meshfed.policy;

import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.Violation;
import io.meshfed.model.policy.AccessPolicy;
import io.meshfed.model.policy.TrafficPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Every TrafficPolicy and AccessPolicy of the fleet, each list sorted by name with no name twice. The order is
 * what decides a conflict: the policy first by name keeps a contested field. Immutable.
 */
public record PolicySet(List<TrafficPolicy> traffic, List<AccessPolicy> access) {
    public static final PolicySet EMPTY = new PolicySet(List.of(), List.of());

    public PolicySet {
        traffic = traffic.stream().sorted(Comparator.comparing(TrafficPolicy::name)).toList();
        access = access.stream().sorted(Comparator.comparing(AccessPolicy::name)).toList();
        List<Violation> found = new ArrayList<>();
        Set<String> names = new HashSet<>();
        traffic.forEach(p -> {
            if (!names.add(p.ref())) {
                found.add(new Violation("traffic", "two TrafficPolicies named " + p.name()));
            }
        });
        access.forEach(p -> {
            if (!names.add(p.ref())) {
                found.add(new Violation("access", "two AccessPolicies named " + p.name()));
            }
        });
        if (!found.isEmpty()) {
            throw new InvalidSpecException(found);
        }
    }

    public boolean isEmpty() {
        return traffic.isEmpty() && access.isEmpty();
    }
}
