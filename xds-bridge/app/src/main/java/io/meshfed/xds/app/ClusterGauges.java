package io.meshfed.xds.app;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.meshfed.store.status.ClusterStatusWriter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code meshfed_catalog_age_seconds{cluster}} and {@code meshfed_cluster_api_reachable{cluster}} from what the
 * bridge's watch of the MeshClusters ({@link StoreWatch}) reads of each one's status: {@code status.catalog.syncedAt}
 * (the export function's last good sync; a cluster never synced counts from its MeshCluster's creation) and the
 * {@code ApiReachable} condition (1 when True; 0 when False, Unknown or not reported yet). A deregistered cluster's
 * series go, and {@link #close} removes them all. The age is computed when scraped, so it grows between syncs.
 * Thread-safe.
 */
public final class ClusterGauges implements ResourceEventHandler<GenericKubernetesResource>, AutoCloseable {
    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, State> clusters = new ConcurrentHashMap<>();

    /** What one cluster's gauges read; replaced fields are volatile so a scrape sees the newest. */
    private final class State {
        volatile Instant syncedAt = clock.instant();
        volatile boolean reachable;
        final List<Gauge> gauges;

        State(String cluster) {
            gauges = List.of(
                    Gauge.builder("meshfed.catalog.age", this,
                            s -> Math.max(0, clock.millis() - s.syncedAt.toEpochMilli()) / 1000.0)
                            .baseUnit("seconds").description("seconds since the cluster's catalog was last synced")
                            .tag("cluster", cluster).register(registry),
                    Gauge.builder("meshfed.cluster.api.reachable", this, s -> s.reachable ? 1 : 0)
                            .description("1 when the cluster's ApiReachable condition is true, else 0")
                            .tag("cluster", cluster).register(registry));
        }
    }

    public ClusterGauges(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    @Override
    public void onAdd(GenericKubernetesResource cluster) {
        update(cluster);
    }

    @Override
    public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
        update(after);
    }

    @Override
    public void onDelete(GenericKubernetesResource cluster, boolean finalStateUnknown) {
        State s = clusters.remove(cluster.getMetadata().getName());
        if (s != null) {
            s.gauges.forEach(registry::remove);
        }
    }

    private void update(GenericKubernetesResource cluster) {
        String name = cluster.getMetadata().getName();
        Map<?, ?> status = cluster.getAdditionalProperties().get("status") instanceof Map<?, ?> m ? m : Map.of();
        Instant synced = status.get("catalog") instanceof Map<?, ?> catalog ? instant(catalog.get("syncedAt")) : null;
        if (synced == null) {
            synced = instant(cluster.getMetadata().getCreationTimestamp());
        }
        boolean reachable = false;
        if (status.get("conditions") instanceof List<?> conditions) {
            for (Object o : conditions) {
                if (o instanceof Map<?, ?> c && ClusterStatusWriter.API_REACHABLE.equals(c.get("type"))) {
                    reachable = ClusterStatusWriter.ConditionStatus.TRUE.wire().equals(c.get("status"));
                }
            }
        }
        State s = clusters.computeIfAbsent(name, State::new);
        s.syncedAt = synced == null ? clock.instant() : synced;
        s.reachable = reachable;
    }

    @Override
    public void close() {
        clusters.keySet().forEach(name -> {
            State s = clusters.remove(name);
            if (s != null) {
                s.gauges.forEach(registry::remove);
            }
        });
    }

    private static Instant instant(Object value) {
        if (!(value instanceof String text)) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
