package io.meshfed.federation;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.MeshCluster;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One cluster's catalog as the translator sees it at one instant: its content and how fresh it is.
 *
 * @param catalog the catalog
 * @param freshness {@link Freshness#FRESH}, {@link Freshness#STALE} (inside the grace period: endpoints kept) or
 *        {@link Freshness#WITHHELD} (stale beyond the grace period: endpoints withheld so traffic fails over)
 * @param gatewayIsIp whether the east-west gateway address is an IP literal (STATIC) or a host name (DNS)
 */
record ClusterView(ClusterCatalog catalog, Freshness freshness, boolean gatewayIsIp) {
    enum Freshness { FRESH, STALE, WITHHELD }

    static ClusterView of(ClusterCatalog catalog, Duration grace, Instant now) {
        Freshness f = !catalog.isStale() ? Freshness.FRESH
                : catalog.staleBeyond(grace, now) ? Freshness.WITHHELD : Freshness.STALE;
        return new ClusterView(catalog, f, catalog.cluster().eastWestGateway().isIp());
    }

    MeshCluster cluster() {
        return catalog.cluster();
    }

    String name() {
        return catalog.cluster().name();
    }

    boolean withheld() {
        return freshness == Freshness.WITHHELD;
    }

    /** True when translating {@code other} instead of this gives the same objects (versions aside). */
    boolean sameContentAs(ClusterView other) {
        return freshness == other.freshness
                && Objects.equals(catalog.staleSince(), other.catalog.staleSince())
                && (catalog == other.catalog || catalog.contentHash().equals(other.catalog.contentHash()));
    }
}
