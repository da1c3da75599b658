package io.meshfed.model.policy;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.meshfed.model.Rules;
import io.meshfed.model.Violations;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A fleet-wide traffic policy ({@code meshfed.io/v1alpha1 TrafficPolicy}): how clients of every cluster in
 * {@code applyTo} (all registered clusters when empty) reach the federated services {@code destination} selects.
 * Every setting is optional; a policy sets at least one. A record that exists is valid: the constructor checks every
 * rule and throws {@link io.meshfed.model.InvalidSpecException} naming each broken field ({@code spec.retries.attempts}).
 *
 * <p>What each setting becomes in Istio is {@code io.meshfed.policy.PolicyTranslator}'s business (docs/policy.md):
 * request settings (timeout, retries, fault, mirror, traffic shift) a VirtualService on the federated name,
 * destination settings (outlier detection, connection pool, failover) the DestinationRules federation generates,
 * and what Istio's API lacks (hedging, retry budget) an EnvoyFilter.
 */
public record TrafficPolicy(String name, Spec spec) {
    /** The settings a TrafficPolicy has, by the name its YAML uses; {@link #fields} lists those set. */
    public static final List<String> FIELDS = List.of("timeout", "retries", "retryBudget", "hedging", "trafficShift",
            "mirror", "fault", "outlierDetection", "connectionPool", "failover");

    public TrafficPolicy {
        Violations v = new Violations().check("metadata.name", Rules.dns1123Subdomain(name));
        if (spec == null) {
            v.add("spec", "is required");
        } else {
            spec.check(v);
        }
        v.throwIfAny();
    }

    /** "TrafficPolicy/name": how statuses and conflicts name it. */
    @JsonIgnore
    public String ref() {
        return "TrafficPolicy/" + name;
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Spec(PolicyDestination destination, List<String> applyTo, String timeout, Retries retries,
            RetryBudget retryBudget, Hedging hedging, List<ClusterWeight> trafficShift, Mirror mirror, Fault fault,
            OutlierDetection outlierDetection, ConnectionPool connectionPool, List<Failover> failover) {
        public Spec {
            applyTo = applyTo == null ? List.of() : applyTo.stream().sorted().distinct().toList();
            trafficShift = trafficShift == null ? List.of() : List.copyOf(trafficShift);
            failover = failover == null ? List.of() : List.copyOf(failover);
        }

        /** The settings this spec sets, in {@link #FIELDS} order. */
        @JsonIgnore
        public List<String> fields() {
            List<String> set = new ArrayList<>();
            if (timeout != null) {
                set.add("timeout");
            }
            if (retries != null) {
                set.add("retries");
            }
            if (retryBudget != null) {
                set.add("retryBudget");
            }
            if (hedging != null) {
                set.add("hedging");
            }
            if (!trafficShift.isEmpty()) {
                set.add("trafficShift");
            }
            if (mirror != null) {
                set.add("mirror");
            }
            if (fault != null) {
                set.add("fault");
            }
            if (outlierDetection != null) {
                set.add("outlierDetection");
            }
            if (connectionPool != null) {
                set.add("connectionPool");
            }
            if (!failover.isEmpty()) {
                set.add("failover");
            }
            return set;
        }

        void check(Violations v) {
            if (destination == null) {
                v.add("spec.destination", "is required: name at least the namespace of the services");
            } else {
                destination.check(v, "spec.destination");
            }
            PolicyRules.clusters(v, "spec.applyTo", applyTo);
            if (fields().isEmpty()) {
                v.add("spec", "sets nothing: give at least one of " + FIELDS);
            }
            PolicyRules.duration(v, "spec.timeout", timeout, false);
            if (retries != null) {
                retries.check(v, "spec.retries");
                if (timeout != null && retries.perTryTimeout() != null
                        && PolicyRules.millis(retries.perTryTimeout()).orElse(0L)
                                >= PolicyRules.millis(timeout).orElse(Long.MAX_VALUE)) {
                    v.add("spec.retries.perTryTimeout", "must be shorter than spec.timeout (" + timeout
                            + "), or no retry could ever start, got '" + retries.perTryTimeout() + "'");
                }
            }
            if (retryBudget != null) {
                // no retries needed here: Istio retries by default, and another policy may set them
                retryBudget.check(v, "spec.retryBudget");
            }
            if (hedging != null) {
                hedging.check(v, "spec.hedging");
                if (hedging.hedgeOnPerTryTimeout() && (retries == null || retries.perTryTimeout() == null)) {
                    v.add("spec.hedging.hedgeOnPerTryTimeout",
                            "hedges when a try times out, so it needs spec.retries.perTryTimeout");
                }
            }
            Set<String> shifted = new HashSet<>();
            int total = 0;
            for (int i = 0; i < trafficShift.size(); i++) {
                ClusterWeight w = trafficShift.get(i);
                String at = "spec.trafficShift[" + i + "]";
                if (w == null) {
                    v.add(at, "is empty");
                    continue;
                }
                v.check(at + ".cluster", Rules.dns1123Label(w.cluster()));
                if (w.cluster() != null && !shifted.add(w.cluster())) {
                    v.add(at + ".cluster", "names '" + w.cluster() + "' twice");
                }
                if (w.weight() == null || w.weight() < 0 || w.weight() > 100) {
                    v.add(at + ".weight", "must be between 0 and 100, got " + w.weight());
                } else {
                    total += w.weight();
                }
            }
            if (!trafficShift.isEmpty() && total != 100) {
                v.add("spec.trafficShift", "weights must add up to 100, got " + total);
            }
            if (mirror != null) {
                mirror.check(v, "spec.mirror");
            }
            if (fault != null) {
                fault.check(v, "spec.fault");
            }
            if (outlierDetection != null) {
                outlierDetection.check(v, "spec.outlierDetection");
            }
            if (connectionPool != null) {
                connectionPool.check(v, "spec.connectionPool");
            }
            Set<String> from = new HashSet<>();
            for (int i = 0; i < failover.size(); i++) {
                Failover f = failover.get(i);
                String at = "spec.failover[" + i + "]";
                if (f == null) {
                    v.add(at, "is empty");
                    continue;
                }
                v.check(at + ".from", Rules.localityPart(f.from()));
                v.check(at + ".to", Rules.localityPart(f.to()));
                if (f.from() != null && f.from().equals(f.to())) {
                    v.add(at, "fails region '" + f.from() + "' over to itself");
                }
                if (f.from() != null && !from.add(f.from())) {
                    v.add(at + ".from", "region '" + f.from() + "' has a failover target already");
                }
            }
        }
    }

    /**
     * Retries: {@code attempts} retries after the first try (0 turns Istio's default retries off), each try cut at
     * {@code perTryTimeout}, on the conditions {@code retryOn} names (Envoy's retry-on names, gRPC status names, or
     * HTTP status codes).
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Retries(Integer attempts, String perTryTimeout, List<String> retryOn) {
        /** Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on condition names, as Istio's retryOn takes them. */
        public static final Set<String> CONDITIONS = Set.of("5xx", "gateway-error", "reset", "reset-before-request",
                "connect-failure", "envoy-ratelimited", "retriable-4xx", "refused-stream", "retriable-status-codes",
                "retriable-headers", "http3-post-connect-failure", "cancelled", "deadline-exceeded", "internal",
                "resource-exhausted", "unavailable");

        public Retries {
            retryOn = retryOn == null ? List.of() : List.copyOf(retryOn);
        }

        void check(Violations v, String at) {
            if (attempts == null) {
                v.add(at + ".attempts", "is required (0 turns retries off)");
            } else if (attempts < 0 || attempts > 10) {
                v.add(at + ".attempts", "must be between 0 and 10, got " + attempts);
            }
            PolicyRules.duration(v, at + ".perTryTimeout", perTryTimeout, false);
            for (int i = 0; i < retryOn.size(); i++) {
                String c = retryOn.get(i);
                if (c == null || !(CONDITIONS.contains(c) || c.matches("[1-5]\\d\\d"))) {
                    v.add(at + ".retryOn[" + i + "]", "must be one of " + new java.util.TreeSet<>(CONDITIONS)
                            + " or an HTTP status code, got '" + c + "'");
                }
            }
            if (attempts != null && attempts == 0 && (perTryTimeout != null || !retryOn.isEmpty())) {
                v.add(at, "attempts 0 turns retries off; perTryTimeout and retryOn would never apply");
            }
        }
    }

    /** Envoy's retry budget: retries may be at most {@code percent} of active requests, and always {@code minRetryConcurrency}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RetryBudget(Double percent, Integer minRetryConcurrency) {
        void check(Violations v, String at) {
            PolicyRules.percent(v, at + ".percent", percent);
            if (minRetryConcurrency != null && minRetryConcurrency < 1) {
                v.add(at + ".minRetryConcurrency", "must be at least 1, got " + minRetryConcurrency);
            }
        }
    }

    /** Envoy's request hedging: {@code initialRequests} parallel first tries, and a hedge when a try times out. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Hedging(Integer initialRequests, Boolean hedgeOnPerTryTimeout) {
        public Hedging {
            hedgeOnPerTryTimeout = Boolean.TRUE.equals(hedgeOnPerTryTimeout);
        }

        void check(Violations v, String at) {
            if (initialRequests != null && (initialRequests < 1 || initialRequests > 5)) {
                v.add(at + ".initialRequests", "must be between 1 and 5, got " + initialRequests);
            }
            if ((initialRequests == null || initialRequests == 1) && !hedgeOnPerTryTimeout) {
                v.add(at, "hedges nothing: set initialRequests above 1 or hedgeOnPerTryTimeout");
            }
        }
    }

    /** A share of the traffic for the copy of the service {@code cluster} exports. */
    public record ClusterWeight(String cluster, Integer weight) {
    }

    /** A copy of {@code percent} of the requests to the copy {@code cluster} exports; answers are dropped. */
    public record Mirror(String cluster, Double percent) {
        void check(Violations v, String at) {
            v.check(at + ".cluster", Rules.dns1123Label(cluster));
            PolicyRules.percent(v, at + ".percent", percent);
        }
    }

    /** Fault injection: an abort or a delay (or both) for a percentage of requests. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Fault(Abort abort, Delay delay) {
        void check(Violations v, String at) {
            if (abort == null && delay == null) {
                v.add(at, "injects nothing: set abort, delay or both");
            }
            if (abort != null) {
                abort.check(v, at + ".abort");
            }
            if (delay != null) {
                PolicyRules.percent(v, at + ".delay.percent", delay.percent());
                PolicyRules.duration(v, at + ".delay.fixedDelay", delay.fixedDelay(), true);
            }
        }
    }

    /** Aborts with an HTTP status or a gRPC status name (one of them). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Abort(Double percent, Integer httpStatus, String grpcStatus) {
        public static final Set<String> GRPC_STATUSES = Set.of("CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
                "DATA_LOSS", "UNAUTHENTICATED");

        void check(Violations v, String at) {
            PolicyRules.percent(v, at + ".percent", percent);
            if ((httpStatus == null) == (grpcStatus == null)) {
                v.add(at, "needs exactly one of httpStatus and grpcStatus");
            }
            if (httpStatus != null && (httpStatus < 200 || httpStatus > 599)) {
                v.add(at + ".httpStatus", "must be an HTTP status between 200 and 599, got " + httpStatus);
            }
            if (grpcStatus != null && !GRPC_STATUSES.contains(grpcStatus)) {
                v.add(at + ".grpcStatus", "must be a gRPC status name such as UNAVAILABLE, got '" + grpcStatus + "'");
            }
        }
    }

    public record Delay(Double percent, String fixedDelay) {
    }

    /** Ejects an endpoint after {@code consecutiveErrors} 5xx answers (gRPC: failures) in a row. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record OutlierDetection(Integer consecutiveErrors, String interval, String baseEjectionTime,
            Integer maxEjectionPercent) {
        void check(Violations v, String at) {
            if (consecutiveErrors == null || consecutiveErrors < 1) {
                v.add(at + ".consecutiveErrors", "must be at least 1, got " + consecutiveErrors);
            }
            PolicyRules.duration(v, at + ".interval", interval, false);
            PolicyRules.duration(v, at + ".baseEjectionTime", baseEjectionTime, false);
            if (maxEjectionPercent != null && (maxEjectionPercent < 0 || maxEjectionPercent > 100)) {
                v.add(at + ".maxEjectionPercent", "must be between 0 and 100, got " + maxEjectionPercent);
            }
        }
    }

    /** Connection and request limits per client Envoy and destination. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ConnectionPool(Integer maxConnections, Integer maxPendingRequests, Integer maxRequestsPerConnection,
            String connectTimeout) {
        void check(Violations v, String at) {
            if (maxConnections == null && maxPendingRequests == null && maxRequestsPerConnection == null
                    && connectTimeout == null) {
                v.add(at, "limits nothing: set maxConnections, maxPendingRequests, maxRequestsPerConnection or"
                        + " connectTimeout");
            }
            positive(v, at + ".maxConnections", maxConnections);
            positive(v, at + ".maxPendingRequests", maxPendingRequests);
            positive(v, at + ".maxRequestsPerConnection", maxRequestsPerConnection);
            PolicyRules.duration(v, at + ".connectTimeout", connectTimeout, false);
        }

        private static void positive(Violations v, String field, Integer value) {
            if (value != null && value < 1) {
                v.add(field, "must be at least 1, got " + value);
            }
        }
    }

    /** Locality failover order override: when region {@code from} fails, go to region {@code to} first. */
    public record Failover(String from, String to) {
    }
}
