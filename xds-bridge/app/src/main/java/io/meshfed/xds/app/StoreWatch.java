package io.meshfed.xds.app;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.KubernetesPolicyStore;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Makes the bridge level-triggered: it watches the management cluster's MeshClusters and catalog ConfigMaps
 * (fabric8 informers, one list and one watch each) and has the {@link CatalogFeed} re-read the cluster any of them
 * is about, and on TrafficPolicies and AccessPolicies, re-reading every policy, so every replica converges from the
 * store alone and a lost or never-sent {@code catalog.changed} costs
 * nothing. Events still hurry it (they arrive first). The informers' periodic resync re-reads every cluster too; a
 * re-read that finds nothing new publishes nothing. Thread-safety: the feed serializes the re-reads.
 */
public final class StoreWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StoreWatch.class);

    private final List<SharedIndexInformer<?>> informers;

    private StoreWatch(List<SharedIndexInformer<?>> informers) {
        this.informers = informers;
    }

    /** Starts both informers; returns once their first lists are in (every cluster re-read once). */
    public static StoreWatch start(KubernetesClient client, String namespace, CatalogFeed feed, Duration resync) {
        return start(client, namespace, feed, resync, null);
    }

    /**
     * Starts the informers, {@code clusterStatus} (when not null) also hearing of every MeshCluster as the watch
     * reads it (its status included: the metrics of {@link ClusterGauges}).
     */
    public static StoreWatch start(KubernetesClient client, String namespace, CatalogFeed feed, Duration resync,
            ResourceEventHandler<GenericKubernetesResource> clusterStatus) {
        SharedIndexInformer<GenericKubernetesResource> clusters = client
                .genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER).inNamespace(namespace)
                .inform(new Refresh<>(feed, o -> o.getMetadata().getName()), resync.toMillis());
        if (clusterStatus != null) {
            clusters.addEventHandler(clusterStatus);
        }
        SharedIndexInformer<ConfigMap> catalogs;
        try {
            catalogs = client.configMaps().inNamespace(namespace).withLabel(KubernetesCatalogStore.CATALOG_LABEL, "true")
                    .inform(new Refresh<>(feed, o -> o.getMetadata().getLabels() == null ? null
                            : o.getMetadata().getLabels().get(KubernetesClusterStore.CLUSTER_LABEL)), resync.toMillis());
        } catch (RuntimeException e) {
            clusters.close();
            throw e;
        }
        LOG.infof("watching MeshClusters and catalogs in %s (resync every %s)", namespace, resync);
        List<SharedIndexInformer<?>> all = new java.util.ArrayList<>(List.of(clusters, catalogs));
        for (var kind : List.of(KubernetesPolicyStore.TRAFFIC, KubernetesPolicyStore.ACCESS)) {
            try {
                all.add(client.genericKubernetesResources(kind).inNamespace(namespace)
                        .inform(new PolicyRefresh(feed), resync.toMillis()));
            } catch (RuntimeException e) {
                // without the policy CRDs the bridge still serves federation; policy.changed events still re-read
                LOG.warnf("not watching %s in %s (%s): are the policy CRDs installed?", kind.getPlural(), namespace,
                        e.getMessage());
            }
        }
        return new StoreWatch(List.copyOf(all));
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
    }

    /** Any add, spec update or delete of a policy: re-read every policy. */
    private record PolicyRefresh(CatalogFeed feed) implements ResourceEventHandler<GenericKubernetesResource> {
        @Override
        public void onAdd(GenericKubernetesResource object) {
            refresh();
        }

        @Override
        public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
            // a status write (the bridge's own) leaves the generation alone: nothing to re-read; a resync (the same
            // resource version) re-reads, as for clusters
            boolean resync = java.util.Objects.equals(before.getMetadata().getResourceVersion(),
                    after.getMetadata().getResourceVersion());
            if (resync || !java.util.Objects.equals(before.getMetadata().getGeneration(),
                    after.getMetadata().getGeneration())) {
                refresh();
            }
        }

        @Override
        public void onDelete(GenericKubernetesResource object, boolean finalStateUnknown) {
            refresh();
        }

        private void refresh() {
            try {
                feed.refreshPolicies();
            } catch (RuntimeException e) {
                LOG.warnf("re-reading the policies after a store change failed: %s", e.getMessage());
            }
        }
    }

    /** Any add, update or delete of an object about a cluster: re-read that cluster. */
    private record Refresh<T extends HasMetadata>(CatalogFeed feed, Function<T, String> cluster)
            implements ResourceEventHandler<T> {
        @Override
        public void onAdd(T object) {
            refresh(object);
        }

        @Override
        public void onUpdate(T before, T after) {
            refresh(after);
        }

        @Override
        public void onDelete(T object, boolean finalStateUnknown) {
            refresh(object);
        }

        private void refresh(T object) {
            String name = cluster.apply(object);
            if (name == null) {
                return;
            }
            try {
                feed.refresh(name);
            } catch (RuntimeException e) {
                // The next event or resync of this cluster tries again.
                LOG.warnf("re-reading cluster %s after a store change failed: %s", name, e.getMessage());
            }
        }
    }
}
