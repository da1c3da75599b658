package io.meshfed.export;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.meshfed.store.CatalogStore;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Wires {@link CatalogSync} to the management cluster (the injected client: stores) and to the workload clusters
 * (one short-lived client per read, on the application's Vert.x).
 */
public class ExportBeans {

    @Produces
    @Singleton
    ClusterStore clusterStore(KubernetesClient client,
            @ConfigProperty(name = "meshfed.namespace", defaultValue = "meshfed") String namespace) {
        return new KubernetesClusterStore(client, namespace);
    }

    @Produces
    @Singleton
    CatalogStore catalogStore(KubernetesClient client,
            @ConfigProperty(name = "meshfed.namespace", defaultValue = "meshfed") String namespace) {
        return new KubernetesCatalogStore(client, namespace);
    }

    @Produces
    @Singleton
    WorkloadClusterReader workloadClusterReader(Vertx vertx,
            @ConfigProperty(name = "meshfed.export.remote.connect-timeout", defaultValue = "2s") Duration connect,
            @ConfigProperty(name = "meshfed.export.remote.request-timeout", defaultValue = "5s") Duration request) {
        return new Fabric8WorkloadReader(new VertxHttpClientFactory(vertx), connect, request);
    }

    @Produces
    @Singleton
    CatalogSync catalogSync(ClusterStore clusters, CatalogStore catalogs, WorkloadClusterReader reader,
            KubernetesClient client,
            @ConfigProperty(name = "meshfed.namespace", defaultValue = "meshfed") String namespace) {
        return new CatalogSync(clusters, catalogs, reader, Clock.systemUTC(),
                new KubernetesClusterStatusWriter(client, namespace, "meshfed-export", Clock.systemUTC()));
    }

    @Produces
    @Singleton
    ExportAdapter exportAdapter(CatalogSync sync, MeterRegistry registry) {
        return new ExportAdapter(sync, org.jboss.logging.Logger.getLogger(ExportAdapter.class)::info,
                new ExportMeters(registry));
    }

    /** {@code meshfed_export_syncs_total{cluster}} and {@code meshfed_export_failures_total{cluster,reason}}. */
    static final class ExportMeters implements ExportRecorder {
        private final MeterRegistry registry;

        ExportMeters(MeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        public void synced(String cluster) {
            Counter.builder("meshfed.export.syncs").description("catalog syncs that completed")
                    .tag("cluster", cluster).register(registry).increment();
        }

        @Override
        public void failed(String cluster, FailureReason reason) {
            Counter.builder("meshfed.export.failures").description("catalog syncs that failed")
                    .tag("cluster", cluster).tag("reason", reason.wireName()).register(registry).increment();
        }
    }
}
