package io.meshfed.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Everything one cluster contributes to the federation: the cluster (gateway, network, trust domain,
 * locality) and the services it exports, as last read from its API server.
 *
 * <p>{@code version} grows by one with every change of content and never goes back; {@code contentHash} is
 * always {@link CatalogHash#of} of cluster and services (a stored hash that disagrees is refused), so equal
 * content has an equal hash whatever the version.
 * {@code lastGoodRead} is when the cluster's API server last answered; {@code staleSince} is set while reads
 * fail and the catalog is kept as last known.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClusterCatalog(
        MeshCluster cluster,
        List<ExportedService> services,
        long version,
        String contentHash,
        Instant lastGoodRead,
        Instant staleSince) {

    public ClusterCatalog {
        Objects.requireNonNull(cluster, "cluster");
        services = services == null ? List.of()
                : services.stream().sorted(Comparator.comparing(ExportedService::key)).toList();
        if (services.stream().map(ExportedService::key).distinct().count() != services.size()) {
            throw new InvalidSpecException(List.of(new Violation("services", "duplicate namespace/name")));
        }
        if (version < 0) {
            throw new InvalidSpecException(List.of(new Violation("version", "must not be negative")));
        }
        String computed = CatalogHash.of(cluster, services);
        if (contentHash != null && !contentHash.equals(computed)) {
            throw new InvalidSpecException(List.of(new Violation("contentHash",
                    "does not match the catalog's content (expected " + computed + ")")));
        }
        contentHash = computed;
    }

    /** A fresh catalog at {@code version}, read successfully at {@code readAt}. */
    public static ClusterCatalog fresh(MeshCluster cluster, List<ExportedService> services, long version,
            Instant readAt) {
        return new ClusterCatalog(cluster, services, version, null, readAt, null);
    }

    @JsonIgnore
    public String clusterName() {
        return cluster.name();
    }

    @JsonIgnore
    public boolean isStale() {
        return staleSince != null;
    }

    /**
     * True when this catalog has been stale for longer than {@code grace} at {@code now}: its endpoints must
     * then be treated as unhealthy so traffic fails over instead of black-holing.
     */
    public boolean staleBeyond(Duration grace, Instant now) {
        return staleSince != null && !staleSince.plus(grace).isAfter(now);
    }

    /** Same content, marked stale since {@code since} (kept if already stale). Version is unchanged. */
    public ClusterCatalog markedStale(Instant since) {
        return isStale() ? this : new ClusterCatalog(cluster, services, version, contentHash, lastGoodRead, since);
    }
}
