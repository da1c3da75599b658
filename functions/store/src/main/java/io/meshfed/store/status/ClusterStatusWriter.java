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
 * {@link #CA_ISSUED} and {@code ca}; the xDS bridge: {@link #ISTIOD_CONNECTED}) and never another's.
 *
 * <p>Status is a report, not state any function reads back: a failed write is the caller's to log and forget, never
 * a reason to fail the event that caused it. Implementations are thread-safe.
 */
public interface ClusterStatusWriter {
    String REGISTERED = "Registered";
    String API_REACHABLE = "ApiReachable";
    String CATALOG_SYNCED = "CatalogSynced";
    String CA_ISSUED = "CAIssued";
    /** True while an istiod of the cluster holds an ADS stream to the xDS bridge. */
    String ISTIOD_CONNECTED = "IstiodConnected";

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

    /** Names a report may keep besides its condition types: the status fields. */
    String CATALOG_FIELD = "catalog";
    String CA_FIELD = "ca";

    /**
     * What one writer reports at once: its conditions (at least one, distinct types), what of its own it leaves as it
     * is this time ({@code kept}: condition types, or {@link #CATALOG_FIELD}/{@link #CA_FIELD}; say, registration
     * answering a repeated request without asking the API server again, or export keeping the time of its last good
     * sync through a failed one), and optionally its fields. A report replaces the writer's previous one: a
     * condition type or field it neither names nor keeps is removed.
     */
    record Report(List<Condition> conditions, List<String> kept, Optional<CatalogStatus> catalog,
            Optional<CaStatus> ca) {
        public Report {
            conditions = List.copyOf(conditions);
            kept = List.copyOf(kept);
            if (conditions.isEmpty()) {
                throw new IllegalArgumentException("a report needs a condition");
            }
            List<String> types = new java.util.ArrayList<>(conditions.stream().map(Condition::type).toList());
            types.addAll(kept);
            catalog.ifPresent(c -> types.add(CATALOG_FIELD));
            ca.ifPresent(c -> types.add(CA_FIELD));
            if (types.stream().distinct().count() != types.size()) {
                throw new IllegalArgumentException("one condition or field per name: " + types);
            }
        }

        public static Report of(Condition... conditions) {
            return new Report(List.of(conditions), List.of(), Optional.empty(), Optional.empty());
        }
    }

    /** A condition reason from a wire name such as {@code no-credentials}: {@code NoCredentials}. */
    static String reasonOf(String wireName) {
        StringBuilder out = new StringBuilder();
        for (String word : wireName.split("[^A-Za-z0-9]+")) {
            if (!word.isEmpty()) {
                out.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
            }
        }
        return out.isEmpty() ? "Unknown" : out.toString();
    }

    /**
     * Writes {@code report} on the status of cluster {@code cluster}. Returns false when there is no such cluster
     * (nothing to report on). A condition's {@code lastTransitionTime} moves only when its status changes.
     *
     * @throws RuntimeException of the underlying client when the write fails
     */
    boolean report(String cluster, Report report);
}
