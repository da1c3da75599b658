package io.meshfed.policy;

import io.meshfed.model.policy.PolicyStatus;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.VirtualService;
import io.fabric8.istio.api.networking.v1alpha3.EnvoyFilter;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.meshfed.federation.FederationConfig;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.Violation;
import io.meshfed.model.policy.AccessPolicy;
import io.meshfed.model.policy.TrafficPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The pure policy translation: the fleet's policies, every cluster's catalog, and one target cluster's federation
 * config in; what the policies add to that cluster's istiod, and a typed status per policy, out.
 *
 * <p>Contract: no I/O, no clock, deterministic (equal input, equal output in equal order), safe to call concurrently
 * (no state). Federation's objects are read, never modified: a DestinationRule a policy changes is a new object of the
 * same name that replaces federation's.
 *
 * <p>Rules (docs/policy.md):
 * <ul>
 * <li>A TrafficPolicy concerns the clusters in {@code applyTo} (all when empty); there it applies to every
 * federated service its destination selects among those the cluster's istiod sees (a cluster-set host).</li>
 * <li>Each setting of each service is owned by at most one policy: the first by name that sets it. Every later policy
 * setting it gets {@link PolicyStatus.State#Conflict} there, with the owner named; its other settings still apply.</li>
 * <li>Request settings (timeout, retries, fault, mirror, traffic shift, hedging) need an HTTP or gRPC port; traffic
 * shift and mirror need the named clusters to export the service. Otherwise that service gets none of the policy's
 * settings and the policy is {@link PolicyStatus.State#Unsupported} there.</li>
 * <li>An AccessPolicy acts where the selected services' workloads run: in each exporting cluster, on the workloads
 * whose labels all of that cluster's endpoints of the service share.</li>
 * </ul>
 */
public final class PolicyTranslator {

    /**
     * @param catalogs every registered cluster's catalog (trust domains and the target's own workloads come from here)
     * @param federation the target cluster's federation config, as {@link io.meshfed.federation.FederationTranslator}
     *     made it from the same catalogs
     * @throws InvalidSpecException when the target is not among the catalogs
     */
    public PolicyConfig translate(PolicySet policies, Collection<ClusterCatalog> catalogs, FederationConfig federation) {
        String target = federation.targetCluster();
        Map<String, ClusterCatalog> byCluster = new TreeMap<>();
        catalogs.forEach(c -> byCluster.put(c.clusterName(), c));
        if (!byCluster.containsKey(target)) {
            throw new InvalidSpecException(List.of(new Violation("targetCluster",
                    "cluster '" + target + "' has no catalog among the " + byCluster.size() + " given")));
        }
        List<FederatedService> services = FederatedService.of(federation);
        Map<String, PolicyStatusBuilder> statuses = new TreeMap<>();

        Map<String, Claims> claims = claimTrafficSettings(policies, target, services, statuses);
        List<VirtualService> virtualServices = new ArrayList<>();
        List<DestinationRule> destinationRules = new ArrayList<>();
        List<EnvoyFilter> envoyFilters = new ArrayList<>();
        Map<String, DestinationRule> federationRules = new HashMap<>();
        federation.destinationRules().forEach(dr -> federationRules.put(
                dr.getMetadata().getNamespace() + "/" + dr.getMetadata().getName(), dr));
        for (FederatedService s : services) {
            Claims c = claims.get(s.key());
            if (c == null) {
                continue;
            }
            IstioPolicyResources.virtualService(s, c).ifPresent(virtualServices::add);
            if (c.hasDestinationSettings()) {
                List<String> names = new ArrayList<>();
                names.add(s.clustersetName());
                s.exporters().forEach(e -> names.add(s.clusterName(e)));
                for (String name : names) {
                    DestinationRule base = federationRules.get(s.namespace() + "/" + name);
                    if (base != null) {
                        destinationRules.add(IstioPolicyResources.mergedDestinationRule(base, c));
                    }
                }
            }
            IstioPolicyResources.hedgingFilter(s, c).ifPresent(envoyFilters::add);
        }

        List<AuthorizationPolicy> authorization = authorizationPolicies(policies, target, byCluster, services,
                statuses);
        return new PolicyConfig(target, sorted(virtualServices), sorted(destinationRules), sorted(authorization),
                sorted(envoyFilters), statuses.values().stream().map(b -> b.build(target)).toList());
    }

    /** Which policy owns each setting of each service in the target; statuses record the rest. */
    private static Map<String, Claims> claimTrafficSettings(PolicySet policies, String target,
            List<FederatedService> services, Map<String, PolicyStatusBuilder> statuses) {
        Map<String, Claims> claims = new LinkedHashMap<>();
        for (TrafficPolicy p : policies.traffic()) {
            TrafficPolicy.Spec spec = p.spec();
            if (!spec.applyTo().isEmpty() && !spec.applyTo().contains(target)) {
                continue;
            }
            PolicyStatusBuilder status = statuses.computeIfAbsent(p.ref(), PolicyStatusBuilder::new);
            boolean matched = false;
            for (FederatedService s : services) {
                if (!spec.destination().selects(s.namespace(), s.name(), s.exporters())) {
                    continue;
                }
                matched = true;
                List<String> unsupported = unsupported(spec, s);
                if (!unsupported.isEmpty()) {
                    unsupported.forEach(m -> status.add(PolicyStatus.State.Unsupported, s.key() + ": " + m));
                    continue;
                }
                Claims c = claims.computeIfAbsent(s.key(), k -> new Claims());
                boolean any = false;
                for (String field : spec.fields()) {
                    TrafficPolicy owner = c.owners.get(field);
                    if (owner != null) {
                        status.add(PolicyStatus.State.Conflict, s.key() + ": " + field + " is set by " + owner.ref()
                                + " already (the first policy by name keeps a contested setting)");
                    } else {
                        c.owners.put(field, p);
                        any = true;
                    }
                }
                if (any) {
                    status.applied(s.key());
                }
            }
            if (!matched) {
                status.add(PolicyStatus.State.NoMatch, "selects no federated service this cluster sees ("
                        + describe(spec.destination()) + ")");
            }
        }
        return claims;
    }

    /** Why {@code spec} cannot apply to {@code s} as a whole; empty when it can. */
    private static List<String> unsupported(TrafficPolicy.Spec spec, FederatedService s) {
        List<String> problems = new ArrayList<>();
        List<String> requestSettings = spec.fields().stream().filter(Claims.REQUEST_SETTINGS::contains).toList();
        if (!requestSettings.isEmpty() && !s.hasHttpPort()) {
            problems.add(requestSettings + " act on HTTP and gRPC requests, and the service has no HTTP, HTTP2, GRPC"
                    + " or GRPC-WEB port");
        }
        for (TrafficPolicy.ClusterWeight w : spec.trafficShift()) {
            if (w.weight() > 0 && !s.exporters().contains(w.cluster())) {
                problems.add("trafficShift names cluster '" + w.cluster() + "', which does not export the service"
                        + " (exporters: " + s.exporters() + ")");
            }
        }
        if (spec.mirror() != null && !s.exporters().contains(spec.mirror().cluster())) {
            problems.add("mirror names cluster '" + spec.mirror().cluster() + "', which does not export the service"
                    + " (exporters: " + s.exporters() + ")");
        }
        return problems;
    }

    private static List<AuthorizationPolicy> authorizationPolicies(PolicySet policies, String target,
            Map<String, ClusterCatalog> catalogs, List<FederatedService> services,
            Map<String, PolicyStatusBuilder> statuses) {
        List<AuthorizationPolicy> out = new ArrayList<>();
        List<String> defaultDeny = new ArrayList<>();
        ClusterCatalog own = catalogs.get(target);
        Map<String, ExportedService> ownServices = new HashMap<>();
        own.services().forEach(s -> ownServices.put(s.key(), s));
        for (AccessPolicy p : policies.access()) {
            AccessPolicy.Spec spec = p.spec();
            if (!spec.applyTo().isEmpty() && !spec.applyTo().contains(target)) {
                continue;
            }
            PolicyStatusBuilder status = statuses.computeIfAbsent(p.ref(), PolicyStatusBuilder::new);
            if (spec.isDefaultDeny()) {
                defaultDeny.add(p.ref());
                status.applied("*");
                continue;
            }
            List<String> principals = new ArrayList<>(new TreeSet<>(principals(spec, catalogs, status)));
            boolean matched = false;
            for (FederatedService s : services) {
                if (!spec.destination().selects(s.namespace(), s.name(), s.exporters())
                        || !s.exporters().contains(target)) {
                    continue;
                }
                matched = true;
                Map<String, String> selector = commonLabels(ownServices.get(s.key()));
                if (selector.isEmpty()) {
                    status.add(PolicyStatus.State.Unsupported, s.key() + ": its workloads in this cluster share no"
                            + " label, so no AuthorizationPolicy can select exactly them");
                    continue;
                }
                if (principals.isEmpty()) {
                    continue; // every identity named an unregistered cluster: recorded by principals()
                }
                out.add(IstioPolicyResources.authorizationPolicy(p, s, selector, principals));
                status.applied(s.key());
            }
            if (!matched) {
                status.add(PolicyStatus.State.NoMatch, "no selected service has workloads in this cluster ("
                        + describe(spec.destination()) + ")");
            }
        }
        if (!defaultDeny.isEmpty()) {
            out.add(IstioPolicyResources.defaultDeny(defaultDeny));
        }
        return out;
    }

    /** Istio principals of the policy's identities; a service account of an unregistered cluster is NoMatch. */
    private static List<String> principals(AccessPolicy.Spec spec, Map<String, ClusterCatalog> catalogs,
            PolicyStatusBuilder status) {
        List<String> out = new ArrayList<>();
        for (AccessPolicy.Identity id : spec.from()) {
            if (id.spiffe() != null) {
                out.add(id.spiffe().substring("spiffe://".length()));
            } else if (id.cluster() == null) {
                catalogs.values().forEach(c -> out.add(AccessPolicy.Identity.principal(c.cluster().trustDomain(),
                        id.namespace(), id.serviceAccount())));
            } else if (catalogs.containsKey(id.cluster())) {
                out.add(AccessPolicy.Identity.principal(catalogs.get(id.cluster()).cluster().trustDomain(),
                        id.namespace(), id.serviceAccount()));
            } else {
                status.add(PolicyStatus.State.NoMatch, "identity " + id.namespace() + "/" + id.serviceAccount()
                        + " names cluster '" + id.cluster() + "', which is not registered: it admits no one");
            }
        }
        return out;
    }

    /** The labels every endpoint of the service (ready or not) carries with equal values; empty without endpoints. */
    static Map<String, String> commonLabels(ExportedService service) {
        if (service == null || service.endpoints().isEmpty()) {
            return Map.of();
        }
        Map<String, String> common = new TreeMap<>(service.endpoints().get(0).labels());
        for (ServiceEndpoint e : service.endpoints()) {
            common.entrySet().removeIf(entry -> !entry.getValue().equals(e.labels().get(entry.getKey())));
        }
        return common;
    }

    private static String describe(io.meshfed.model.policy.PolicyDestination d) {
        return "namespace " + d.namespace() + (d.service() == null ? "" : ", service " + d.service())
                + (d.exportedBy().isEmpty() ? "" : ", exported by " + d.exportedBy());
    }

    private static <T extends io.fabric8.kubernetes.api.model.HasMetadata> List<T> sorted(List<T> objects) {
        objects.sort(java.util.Comparator.comparing(o -> o.getMetadata().getNamespace() + "/"
                + o.getMetadata().getName()));
        return objects;
    }

    /** The owner of each setting of one service, by {@link TrafficPolicy#FIELDS} name. */
    static final class Claims {
        static final java.util.Set<String> REQUEST_SETTINGS = java.util.Set.of("timeout", "retries", "hedging",
                "trafficShift", "mirror", "fault");
        static final java.util.Set<String> DESTINATION_SETTINGS = java.util.Set.of("outlierDetection",
                "connectionPool", "failover", "retryBudget");
        final Map<String, TrafficPolicy> owners = new TreeMap<>();

        TrafficPolicy.Spec spec(String field) {
            TrafficPolicy p = owners.get(field);
            return p == null ? null : p.spec();
        }

        boolean hasDestinationSettings() {
            return owners.keySet().stream().anyMatch(DESTINATION_SETTINGS::contains);
        }

        /** The owning policies, sorted, for the generated objects' annotation. */
        String policies(java.util.Set<String> fields) {
            return owners.entrySet().stream().filter(e -> fields.contains(e.getKey()))
                    .map(e -> e.getValue().ref()).distinct().sorted().collect(java.util.stream.Collectors.joining(","));
        }
    }

    /** Accumulates one policy's outcome in the target. */
    private static final class PolicyStatusBuilder {
        private final String policy;
        private final TreeSet<String> services = new TreeSet<>();
        private final List<String> messages = new ArrayList<>();
        private PolicyStatus.State state = PolicyStatus.State.Applied;

        PolicyStatusBuilder(String policy) {
            this.policy = policy;
        }

        void applied(String service) {
            services.add(service);
        }

        void add(PolicyStatus.State s, String message) {
            if (s.ordinal() < state.ordinal()) {
                state = s;
            }
            messages.add(message);
        }

        PolicyStatus build(String cluster) {
            return new PolicyStatus(policy, cluster, state, List.copyOf(services), messages);
        }
    }
}
