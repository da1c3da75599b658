package io.meshfed.store.status;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a function reports about a registered cluster on its {@code MeshCluster}'s status, which operators read with
 * {@code kubectl get meshclusters}. Each function writes only its own condition types and fields (registration:
 * {@link #REGISTERED}, {@link #API_REACHABLE}; export: {@link #CATALOG_SYNCED} and {@code catalog}; the PKI:
 * {@link #CA_ISSUED} and {@code ca}) and never another's.
 *
 * <p>Status is a report, not state any function reads back: a failed write is the caller's to log and forget, never
 * a reason to fail the event that caused it. Implementations are thread-safe.
 */
public interface ClusterStatusWriter {
    String REGISTERED = "Registered";
    String API_REACHABLE = "ApiReachable";
    String CATALOG_SYNCED = "CatalogSynced";
    String CA_ISSUED = "CAIssued";

    /** Writes nothing (local mode keeps no MeshCluster resources). */
    ClusterStatusWriter NONE = (cluster, report) -> false;

    enum ConditionStatus {
        TRUE("True"), FALSE("False"), UNKNOWN("Unknown");

        private final String wire;

        ConditionStatus(String wire) {
            this.wire = wire;
        }

        /** As Kubernetes conditions spell it. */
        public String wire() {
            return wire;
        }
    }

    /** One condition, as {@code metav1.Condition} has it, without the times the writer fills in. */
    record Condition(String type, ConditionStatus status, String reason, String message) {
        private static final Pattern CAMEL = Pattern.compile("[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?");

        public Condition {
            Objects.requireNonNull(status, "status");
            if (type == null || !CAMEL.matcher(type).matches()) {
                throw new IllegalArgumentException("condition type must be CamelCase, got " + type);
            }
            if (reason == null || reason.length() > 1024 || !CAMEL.matcher(reason).matches()) {
                throw new IllegalArgumentException("condition reason must be CamelCase, got " + reason);
            }
            message = message == null ? "" : message.length() > 32768 ? message.substring(0, 32768) : message;
        }
    }

    /** The last successful export sync. */
    record CatalogStatus(Instant syncedAt, int services) {
        public CatalogStatus {
            Objects.requireNonNull(syncedAt, "syncedAt");
            if (services < 0) {
                throw new IllegalArgumentException("services must be >= 0");
            }
        }
    }

    /** The cluster's intermediate CA as last signed. */
    record CaStatus(Instant notAfter, String serial) {
        public CaStatus {
            Objects.requireNonNull(notAfter, "notAfter");
            Objects.requireNonNull(serial, "serial");
        }
    }

    /**
     * What one writer reports at once: its conditions (at least one, distinct types), and optionally its fields. A
     * report replaces the writer's previous one: a condition type or field it no longer names is removed.
     */
    record Report(List<Condition> conditions, Optional<CatalogStatus> catalog, Optional<CaStatus> ca) {
        public Report {
            conditions = List.copyOf(conditions);
            if (conditions.isEmpty()) {
                throw new IllegalArgumentException("a report needs a condition");
            }
            if (conditions.stream().map(Condition::type).distinct().count() != conditions.size()) {
                throw new IllegalArgumentException("one condition per type: " + conditions);
            }
            Objects.requireNonNull(catalog, "catalog");
            Objects.requireNonNull(ca, "ca");
        }

        public static Report of(Condition... conditions) {
            return new Report(List.of(conditions), Optional.empty(), Optional.empty());
        }
    }

    /**
     * Writes {@code report} on the status of cluster {@code cluster}. Returns false when there is no such cluster
     * (nothing to report on). A condition's {@code lastTransitionTime} moves only when its status changes.
     *
     * @throws RuntimeException of the underlying client when the write fails
     */
    boolean report(String cluster, Report report);
}
