package io.meshfed.model.policy;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.meshfed.model.Rules;
import io.meshfed.model.Violations;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A fleet-wide access policy ({@code meshfed.io/v1alpha1 AccessPolicy}). Either a default-deny switch
 * ({@code defaultDeny: true}, nothing else: every workload of every cluster in {@code applyTo} refuses what no ALLOW
 * policy admits), or a rule for the workloads of the federated services {@code destination} selects, in every
 * cluster that exports them: {@code action} (ALLOW, the default, or DENY) requests {@code from} any of the listed
 * identities {@code to} the listed methods, paths and ports. An empty {@code to} means every request. Identities are
 * SPIFFE IDs of any trust domain, or service accounts of registered clusters (one cluster, or every registered
 * cluster when {@code cluster} is left out), which the translator turns into each cluster's own trust domain.
 *
 * <p>A record that exists is valid; the constructor throws {@link io.meshfed.model.InvalidSpecException} naming
 * every broken field.
 */
public record AccessPolicy(String name, Spec spec) {
    private static final Pattern SPIFFE = Pattern.compile("spiffe://([^/]+)/ns/([^/]+)/sa/([^/]+)");
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
            "CONNECT", "TRACE");

    public AccessPolicy {
        Violations v = new Violations().check("metadata.name", Rules.dns1123Subdomain(name));
        if (spec == null) {
            v.add("spec", "is required");
        } else {
            spec.check(v);
        }
        v.throwIfAny();
    }

    @JsonIgnore
    public String ref() {
        return "AccessPolicy/" + name;
    }

    public enum Action { ALLOW, DENY }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Spec(Boolean defaultDeny, PolicyDestination destination, List<String> applyTo, Action action,
            List<Identity> from, Operation to) {
        public Spec {
            applyTo = applyTo == null ? List.of() : applyTo.stream().sorted().distinct().toList();
            from = from == null ? List.of() : List.copyOf(from);
            defaultDeny = Boolean.TRUE.equals(defaultDeny) ? Boolean.TRUE : null;
            action = action == null && defaultDeny == null ? Action.ALLOW : action;
        }

        /** True for the default-deny switch. */
        @JsonIgnore
        public boolean isDefaultDeny() {
            return defaultDeny != null;
        }

        void check(Violations v) {
            PolicyRules.clusters(v, "spec.applyTo", applyTo);
            if (isDefaultDeny()) {
                if (destination != null || action != null || !from.isEmpty() || to != null) {
                    v.add("spec.defaultDeny", "is a switch on its own: a default-deny policy has no destination,"
                            + " action, from or to (write those in a policy of their own)");
                }
                return;
            }
            if (destination == null) {
                v.add("spec.destination", "is required: name at least the namespace of the services");
            } else {
                destination.check(v, "spec.destination");
            }
            if (from.isEmpty()) {
                v.add("spec.from", "needs at least one identity (a SPIFFE ID or a service account)");
            }
            for (int i = 0; i < from.size(); i++) {
                Identity id = from.get(i);
                String at = "spec.from[" + i + "]";
                if (id == null) {
                    v.add(at, "is empty");
                } else {
                    id.check(v, at);
                }
            }
            if (to != null) {
                to.check(v, "spec.to");
            }
        }
    }

    /**
     * One caller identity: {@code spiffe} ({@code spiffe://<trust-domain>/ns/<ns>/sa/<sa>}), or a service account
     * {@code namespace}/{@code serviceAccount} in {@code cluster} (every registered cluster when absent).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Identity(String spiffe, String cluster, String namespace, String serviceAccount) {
        void check(Violations v, String at) {
            if (spiffe != null) {
                if (cluster != null || namespace != null || serviceAccount != null) {
                    v.add(at, "is either a spiffe ID or a service account (namespace, serviceAccount, cluster), not"
                            + " both");
                }
                var m = SPIFFE.matcher(spiffe);
                if (!m.matches()) {
                    v.add(at + ".spiffe", "must be spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>, got '"
                            + spiffe + "'");
                } else {
                    v.check(at + ".spiffe", Rules.trustDomain(m.group(1)).map(p -> "trust domain " + p));
                }
                return;
            }
            v.check(at + ".namespace", Rules.dns1123Label(namespace));
            v.check(at + ".serviceAccount", Rules.dns1123Subdomain(serviceAccount));
            if (cluster != null) {
                v.check(at + ".cluster", Rules.dns1123Label(cluster));
            }
        }

        /** Istio's principal form of a SPIFFE ID: without the scheme. */
        public static String principal(String trustDomain, String namespace, String serviceAccount) {
            return trustDomain + "/ns/" + namespace + "/sa/" + serviceAccount;
        }
    }

    /** What a request does: methods (upper case), path patterns (Istio's exact, "prefix*" or "*suffix"), ports. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Operation(List<String> methods, List<String> paths, List<Integer> ports) {
        public Operation {
            methods = methods == null ? List.of() : List.copyOf(methods);
            paths = paths == null ? List.of() : List.copyOf(paths);
            ports = ports == null ? List.of() : List.copyOf(ports);
        }

        void check(Violations v, String at) {
            if (methods.isEmpty() && paths.isEmpty() && ports.isEmpty()) {
                v.add(at, "is empty: leave it out to mean every request");
            }
            for (int i = 0; i < methods.size(); i++) {
                String m = methods.get(i);
                if (m == null || !METHODS.contains(m)) {
                    v.add(at + ".methods[" + i + "]", "must be an upper-case HTTP method such as GET, got '" + m
                            + "'" + (m != null && METHODS.contains(m.toUpperCase(Locale.ROOT)) ? " (upper case)" : ""));
                }
            }
            for (int i = 0; i < paths.size(); i++) {
                String p = paths.get(i);
                if (p == null || !(p.startsWith("/") || p.startsWith("*")) || p.indexOf('*', 1) >= 0 && !p.endsWith("*")
                        || p.chars().filter(c -> c == '*').count() > 1) {
                    v.add(at + ".paths[" + i + "]", "must be a path starting with '/', with at most one '*' at its"
                            + " start or end, got '" + p + "'");
                }
            }
            for (int i = 0; i < ports.size(); i++) {
                Integer port = ports.get(i);
                v.check(at + ".ports[" + i + "]", port == null ? java.util.Optional.of("is empty") : Rules.port(port));
            }
        }
    }
}
