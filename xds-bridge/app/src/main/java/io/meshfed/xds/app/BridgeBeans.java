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
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import io.meshfed.xds.protocol.AdsObserver;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.ClusterIdentifier;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Optional;

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
    BridgeMetrics bridgeMetrics(MeterRegistry registry, XdsMetrics metrics) {
        return new BridgeMetrics(registry, metrics);
    }

    @Produces
    @Singleton
    ClusterGauges clusterGauges(MeterRegistry registry) {
        return new ClusterGauges(registry, Clock.systemUTC());
    }

    /** Empty where the bridge keeps no condition: no store watch (no Kubernetes API), or switched off. */
    @Produces
    @Singleton
    Optional<IstiodConnections> istiodConnections(Instance<KubernetesClient> client, BridgeConfig config) {
        if (!config.xds().watchStores() || !config.xds().istiodCondition()) {
            return Optional.empty();
        }
        return Optional.of(new IstiodConnections(new KubernetesClusterStatusWriter(client.get(), config.namespace(),
                "meshfed-xds-bridge", Clock.systemUTC()), client.get(), config.namespace(), config.xds().replica()));
    }

    void closeBridgeMetrics(@Disposes BridgeMetrics metrics) {
        metrics.close();
    }

    void closeClusterGauges(@Disposes ClusterGauges gauges) {
        gauges.close();
    }

    void closeIstiodConnections(@Disposes Optional<IstiodConnections> connections) {
        connections.ifPresent(IstiodConnections::close);
    }

    @Produces
    @Singleton
    AdsServer adsServer(SnapshotCache cache, XdsMetrics metrics, ConnectedClients clients, BridgeConfig config,
            BridgeMetrics bridgeMetrics, Optional<IstiodConnections> istiod) {
        BridgeConfig.Tls tls = config.xds().tls();
        ClusterIdentifier identifier = tls.certFile().isPresent()
                ? new ClusterIdentifier(config.xds().hostDomain(), XdsListener.adsTls(tls).clientCas())
                : new ClusterIdentifier(config.xds().hostDomain());
        AdsObserver observer = istiod.<AdsObserver>map(i -> AdsObservers.of(bridgeMetrics, i)).orElse(bridgeMetrics);
        return new AdsServer(cache, identifier, metrics, clients, config.xds().maxStreamsPerCluster(), observer);
    }

    @Produces
    @Singleton
    CatalogFeed catalogFeed(ClusterStore clusters, CatalogStore catalogs, SnapshotCache cache, PolicyStore policies,
            @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.otel.sdk.disabled") boolean tracingOff,
            jakarta.enterprise.inject.Instance<io.opentelemetry.api.trace.Tracer> tracer) {
        IstioFederationTranslator federation = new IstioFederationTranslator();
        EnvoyPolicy policy = new EnvoyPolicy(EnvoyPolicy.DEFAULT.connectTimeout(), EnvoyPolicy.DEFAULT.consecutive5xx(),
                EnvoyPolicy.DEFAULT.ejectionInterval(), EnvoyPolicy.DEFAULT.baseEjectionTime(),
                EnvoyPolicy.DEFAULT.maxEjectionPercent(), EnvoyPolicy.DEFAULT.retryBudgetPercent(),
                EnvoyPolicy.DEFAULT.minRetryConcurrency(), federation.stalenessGrace());
        return new CatalogFeed(clusters, catalogs, cache, new EnvoyTranslator(policy),
                FederationMcpTranslator.incremental(federation), Clock.systemUTC(), policies, federation,
                io.meshfed.tracing.TracingSwitch.tracer(tracingOff, tracer::get));
    }

    @Produces
    @Singleton
    BridgeAdapter bridgeAdapter(CatalogFeed feed) {
        return new BridgeAdapter(feed);
    }
}
