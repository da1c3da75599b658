package io.meshfed.federation;

import io.meshfed.model.ClusterCatalog;
import java.time.Instant;
import java.util.Collection;

/**
 * The pure federation translation: every cluster's catalog and one target cluster in, the Istio resources
 * that target cluster's istiod must see out.
 *
 * <p>Contract: no I/O, no clock (time comes in as {@code now}, used only to decide whether a stale catalog
 * is past its grace period), deterministic (the same input gives an equal output, in the same order), and
 * safe to call concurrently. Shared by the export function (to show what changed) and the xDS bridge (to
 * serve istiod over MCP-over-xDS).
 */
public interface FederationTranslator {
    /**
     * @param catalogs every registered cluster's catalog, the target's own included
     * @param targetCluster the cluster whose istiod receives the result; must be one of the catalogs' clusters
     * @param now the time against which stale catalogs' grace periods are judged
     */
    FederationConfig translate(Collection<ClusterCatalog> catalogs, String targetCluster, Instant now);
}
