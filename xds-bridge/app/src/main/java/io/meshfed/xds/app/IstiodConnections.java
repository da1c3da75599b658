package io.meshfed.xds.app;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.xds.protocol.AdsObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Keeps the {@code IstiodConnected} condition of each cluster's MeshCluster status: True when an istiod of the cluster
 * opens an ADS stream to this replica and none was open, False with reason {@code NoStream} when this replica's last
 * one closes. Written through {@link ClusterStatusWriter} (status subresource, field manager
 * {@code meshfed-xds-bridge}), off the event loops, one write at a time, each write taking the cluster's state as it
 * is then, so a burst of reconnects writes once or twice and the last word is the newest state.
 *
 * <p>Replicas: an istiod's stream reaches one replica. The condition's message names the replica holding the
 * stream, and a replica whose last stream closes leaves a True condition naming another replica as it is (the istiod
 * already moved there). A failed write is logged and left: the next open or close of that cluster's istiod streams
 * writes again.
 */
public final class IstiodConnections implements AdsObserver, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(IstiodConnections.class);
    public static final String CONNECTED = "StreamOpen";
    public static final String DISCONNECTED = "NoStream";

    private final ClusterStatusWriter writer;
    private final KubernetesClient client;
    private final String namespace;
    private final String replica;
    /** Open istiod streams per cluster on this replica; guarded by itself. */
    private final Map<String, Integer> open = new HashMap<>();
    /** What was last written per cluster (true: connected); only the writing thread touches it. */
    private final Map<String, Boolean> written = new HashMap<>();
    private final ExecutorService writes = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "meshfed-istiod-condition");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param replica this bridge's name in the condition's message (the pod's name)
     */
    public IstiodConnections(ClusterStatusWriter writer, KubernetesClient client, String namespace, String replica) {
        this.writer = writer;
        this.client = client;
        this.namespace = namespace;
        this.replica = replica;
    }

    @Override
    public void streamOpened(String cluster, ClientKind kind) {
        if (kind == ClientKind.ISTIOD) {
            change(cluster, +1);
        }
    }

    @Override
    public void streamClosed(String cluster, ClientKind kind) {
        if (kind == ClientKind.ISTIOD) {
            change(cluster, -1);
        }
    }

    private void change(String cluster, int delta) {
        boolean edge;
        synchronized (open) {
            int n = open.merge(cluster, delta, Integer::sum);
            if (n <= 0) {
                open.remove(cluster);
            }
            edge = (delta > 0 && n == 1) || (delta < 0 && n <= 0);
        }
        if (edge) {
            writes.execute(() -> write(cluster));
        }
    }

    /** Open istiod streams of {@code cluster} on this replica. */
    public int open(String cluster) {
        synchronized (open) {
            return open.getOrDefault(cluster, 0);
        }
    }

    private void write(String cluster) {
        int streams = open(cluster);
        boolean connected = streams > 0;
        if (Boolean.valueOf(connected).equals(written.get(cluster))) {
            return;
        }
        try {
            Condition condition;
            if (connected) {
                condition = new Condition(ClusterStatusWriter.ISTIOD_CONNECTED, ConditionStatus.TRUE, CONNECTED,
                        "an istiod of cluster " + cluster + " holds an ADS stream to bridge replica " + replica);
            } else {
                if (heldElsewhere(cluster)) {
                    written.put(cluster, false);
                    return;
                }
                condition = new Condition(ClusterStatusWriter.ISTIOD_CONNECTED, ConditionStatus.FALSE, DISCONNECTED,
                        "no istiod of cluster " + cluster + " holds an ADS stream to the bridge (the last one to "
                                + "replica " + replica + " closed)");
            }
            if (writer.report(cluster, ClusterStatusWriter.Report.of(condition))) {
                written.put(cluster, connected);
            } else {
                written.remove(cluster); // no such cluster (deregistered): nothing to report on
            }
        } catch (RuntimeException e) {
            written.remove(cluster);
            LOG.warnf("cannot write %s=%s on MeshCluster %s: %s", ClusterStatusWriter.ISTIOD_CONNECTED, connected,
                    cluster, e.getMessage());
        }
    }

    /** Whether the cluster's condition says True for another replica's stream. */
    private boolean heldElsewhere(String cluster) {
        GenericKubernetesResource current = client.genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                .inNamespace(namespace).withName(cluster).get();
        if (current == null || !(current.getAdditionalProperties().get("status") instanceof Map<?, ?> status)
                || !(status.get("conditions") instanceof List<?> conditions)) {
            return false;
        }
        for (Object o : conditions) {
            if (o instanceof Map<?, ?> c && ClusterStatusWriter.ISTIOD_CONNECTED.equals(c.get("type"))) {
                return ConditionStatus.TRUE.wire().equals(c.get("status")) && c.get("message") instanceof String m
                        && !m.endsWith("bridge replica " + replica);
            }
        }
        return false;
    }

    /** Waits up to {@code millis} for the writes already due. */
    boolean drain(long millis) throws InterruptedException {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        writes.execute(() -> done.complete(null));
        try {
            done.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() {
        writes.shutdown();
    }
}
