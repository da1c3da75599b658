package io.meshfed.federation;

import io.fabric8.istio.api.networking.v1.Gateway;
import io.meshfed.model.ClusterCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * meshfed's federation translation for Istio (see docs/federation.md for the resources, names, virtual IPs,
 * failover order and stale handling).
 *
 * <p>Thread-safe, and pure as seen from outside: each call's result is a function of its input alone. Internally the
 * translator remembers cluster-specific objects it built (see {@link TranslationMemo}) and hands the same
 * read-only instances to later calls and to other targets whose inputs for them are equal. For repeated translation of a
 * changing input, keep a {@link FederationState} per target instead; it re-translates only what changed and is
 * proven (by test) to give the same result.
 */
public final class IstioFederationTranslator implements FederationTranslator {
    /** How long a stale catalog's endpoints stay routable before they are withheld. */
    public static final Duration DEFAULT_STALENESS_GRACE = Duration.ofMinutes(5);

    private final Duration stalenessGrace;
    /** Shared by every translation and every state of this translator (see {@link TranslationMemo}). */
    private final TranslationMemo memo = new TranslationMemo();

    public IstioFederationTranslator() {
        this(DEFAULT_STALENESS_GRACE);
    }

    public IstioFederationTranslator(Duration stalenessGrace) {
        this.stalenessGrace = Objects.requireNonNull(stalenessGrace, "stalenessGrace");
        if (stalenessGrace.isNegative()) {
            throw new IllegalArgumentException("stalenessGrace must not be negative, got " + stalenessGrace);
        }
    }

    public Duration stalenessGrace() {
        return stalenessGrace;
    }

    /** A new incremental state for {@code targetCluster} with this translator's grace period. */
    public FederationState newState(String targetCluster) {
        return new FederationState(targetCluster, stalenessGrace, memo);
    }

    @Override
    public FederationConfig translate(Collection<ClusterCatalog> catalogs, String targetCluster, Instant now) {
        FederationState state = newState(targetCluster);
        state.update(catalogs, now, false);
        return state.snapshot();
    }

    /**
     * The config of every cluster in {@code catalogs}, by cluster name. Equal to calling {@link #translate} for
     * each, but cheaper: clusters on the same network see identical ServiceEntries and DestinationRules (the only
     * target-dependent choice is "same network: pods directly, otherwise through the gateway"), so those are
     * translated once per network and shared; only the Gateway differs per cluster.
     */
    public Map<String, FederationConfig> translateAll(Collection<ClusterCatalog> catalogs, Instant now) {
        if (catalogs != null && catalogs.isEmpty() && now != null) {
            return Map.of();
        }
        Map<String, ClusterCatalog> byName = new TreeMap<>(FederationState.validate(catalogs, anyName(catalogs), now));
        Map<String, FederationConfig> perNetwork = new TreeMap<>();
        Map<String, FederationConfig> result = new TreeMap<>();
        for (ClusterCatalog catalog : byName.values()) {
            String network = catalog.cluster().network();
            FederationConfig shared = perNetwork.computeIfAbsent(network,
                    n -> translate(catalogs, catalog.clusterName(), now));
            Gateway gw = FederationState.eastWestGateway(catalog);
            result.put(catalog.clusterName(), new FederationConfig(catalog.clusterName(), shared.serviceEntries(),
                    shared.destinationRules(), gw == null ? List.of() : List.of(gw), shared.workloadEntries(),
                    shared.catalogVersions()));
        }
        return result;
    }

    private static String anyName(Collection<ClusterCatalog> catalogs) {
        if (catalogs == null) {
            return null;
        }
        List<ClusterCatalog> list = new ArrayList<>(catalogs);
        return list.isEmpty() || list.get(0) == null ? null : list.get(0).clusterName();
    }
}
