package io.meshfed.xds.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.store.CatalogStore;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.KubernetesPolicyStore;
import io.meshfed.store.PolicyStore;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.ClusterIdentifier;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Wires the plain domain objects; nothing here has logic of its own. */
public class BridgeBeans {

    @Produces
    @Singleton
    @DefaultBean
    ClusterStore clusterStore(KubernetesClient client, BridgeConfig config) {
        return new KubernetesClusterStore(client, config.namespace());
    }

    @Produces
    @Singleton
    @DefaultBean
    CatalogStore catalogStore(KubernetesClient client, BridgeConfig config) {
        return new KubernetesCatalogStore(client, config.namespace());
    }

    @Produces
    @Singleton
    @DefaultBean
    PolicyStore policyStore(KubernetesClient client, BridgeConfig config) {
        return new KubernetesPolicyStore(client, config.namespace());
    }

    @Produces
    @Singleton
    SnapshotCache snapshotCache(BridgeConfig config) {
        SnapshotCache cache = new SnapshotCache();
        if (config.xds().standby().enabled()) {
            // every registered cluster's configuration ready before its clients come, as when another replica goes
            cache.standBy(io.meshfed.xds.protocol.Shard.preparing(config.xds().standby().istiodConfigSources()));
        }
        return cache;
    }

    @Produces
    @Singleton
    XdsMetrics metrics() {
        return new XdsMetrics();
    }

    @Produces
    @Singleton
    ConnectedClients connectedClients() {
        return new ConnectedClients();
    }

    @Produces
    @Singleton
    AdsServer adsServer(SnapshotCache cache, XdsMetrics metrics, ConnectedClients clients, BridgeConfig config) {
        BridgeConfig.Tls tls = config.xds().tls();
        ClusterIdentifier identifier = tls.certFile().isPresent()
                ? new ClusterIdentifier(config.xds().hostDomain(), XdsListener.adsTls(tls).clientCas())
                : new ClusterIdentifier(config.xds().hostDomain());
        return new AdsServer(cache, identifier, metrics, clients, config.xds().maxStreamsPerCluster());
    }

    @Produces
    @Singleton
    CatalogFeed catalogFeed(ClusterStore clusters, CatalogStore catalogs, SnapshotCache cache, PolicyStore policies) {
        IstioFederationTranslator federation = new IstioFederationTranslator();
        EnvoyPolicy policy = new EnvoyPolicy(EnvoyPolicy.DEFAULT.connectTimeout(), EnvoyPolicy.DEFAULT.consecutive5xx(),
                EnvoyPolicy.DEFAULT.ejectionInterval(), EnvoyPolicy.DEFAULT.baseEjectionTime(),
                EnvoyPolicy.DEFAULT.maxEjectionPercent(), EnvoyPolicy.DEFAULT.retryBudgetPercent(),
                EnvoyPolicy.DEFAULT.minRetryConcurrency(), federation.stalenessGrace());
        return new CatalogFeed(clusters, catalogs, cache, new EnvoyTranslator(policy),
                FederationMcpTranslator.incremental(federation), Clock.systemUTC(), policies, federation);
    }

    @Produces
    @Singleton
    BridgeAdapter bridgeAdapter(CatalogFeed feed) {
        return new BridgeAdapter(feed);
    }
}
