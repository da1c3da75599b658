package io.meshfed.export;

import io.cloudevents.CloudEvent;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventData;
import io.meshfed.model.EventFailure;
import io.meshfed.model.EventTypes;
import io.meshfed.store.ConcurrentChangeException;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The export function's one CloudEvents adapter over {@link CatalogSync}, for every host: the Funqy functions
 * ({@link ExportFunctions}) and local mode's broker call {@link #handle}. Data is read by {@link ExportEvents} with
 * the model's strict mapping. The reply is {@code catalog.changed} on a change, {@code service.export.failed} when
 * the workload cluster could not be read, and nothing for an unchanged catalog. Reply ids derive from the request's
 * id, so a redelivered request that does the same thing replies with the same id.
 *
 * <p>Handled types: {@code service.export.sync} and {@code dev.knative.sources.ping} (a sync of the cluster the
 * subject or {@code data.cluster} names), {@code cluster.registered}, {@code cluster.deregistered}, and
 * {@code dev.knative.apiserver.resource.*}: a Knative ApiServerSource watching a workload cluster cannot send a
 * sync, so its events are syncs of the cluster named by the {@value ExportEvents#CLUSTER_EXTENSION} extension (set
 * with the source's ceOverrides); the changed object itself is ignored, since the sync reads current state anyway.
 *
 * <p>Thread-safety: as {@link CatalogSync}; the adapter holds no state.
 */
public final class ExportAdapter {
    public static final String SOURCE = "meshfed/export";
    private static final String API_SERVER_EVENT = "dev.knative.apiserver.resource.";

    private final CatalogSync sync;
    private final Consumer<String> progress;
    private final ExportRecorder recorder;

    /** @param progress told one line per change or failure (the Funqy app logs it, local mode prints it) */
    public ExportAdapter(CatalogSync sync, Consumer<String> progress) {
        this(sync, progress, ExportRecorder.NONE);
    }

    /** @param recorder told of every sync that completed or failed */
    public ExportAdapter(CatalogSync sync, Consumer<String> progress, ExportRecorder recorder) {
        this.sync = sync;
        this.progress = progress;
        this.recorder = recorder;
    }

    /**
     * The reply to {@code event}, empty when the catalog did not change.
     *
     * @throws BadEventException when the event cannot be read (nothing is read from any cluster, nothing written)
     * @throws EventFailure {@link EventFailure.Kind#UNKNOWN_CLUSTER} for a cluster that is not registered and has no
     *     catalog, {@link EventFailure.Kind#CONTENDED} when other writers kept winning the catalog's compare-and-set
     */
    public Optional<CloudEvent> handle(CloudEvent event) {
        String type = event.getType();
        SyncResult result;
        try {
            if (EventTypes.CLUSTER_REGISTERED.equals(type)) {
                ExportEvents.ClusterRegisteredData registered = ExportEvents.registered(event.getSubject(),
                        EventData.bytes(event));
                result = sync.registered(registered.cluster().name(), registered.generation());
            } else if (EventTypes.CLUSTER_DEREGISTERED.equals(type)) {
                result = sync.deregistered(ExportEvents.deregistered(event.getSubject(), EventData.bytes(event)));
            } else if (type.startsWith(API_SERVER_EVENT)) {
                Object cluster = event.getExtension(ExportEvents.CLUSTER_EXTENSION);
                result = sync.sync(ExportEvents.apiServerCluster(cluster == null ? Map.of()
                        : Map.of(ExportEvents.CLUSTER_EXTENSION, cluster.toString())));
            } else if (EventTypes.SERVICE_EXPORT_SYNC.equals(type) || "dev.knative.sources.ping".equals(type)) {
                result = sync.sync(ExportEvents.syncCluster(event.getSubject(), EventData.bytes(event)));
            } else {
                throw new BadEventException("type", "meshfed-export does not handle " + type);
            }
        } catch (UnknownClusterException e) {
            throw new EventFailure(EventFailure.Kind.UNKNOWN_CLUSTER, "subject", e.getMessage(), e);
        } catch (ConcurrentChangeException e) {
            throw new EventFailure(EventFailure.Kind.CONTENDED, "subject", e.getMessage(), e);
        }
        if (result instanceof SyncResult.Changed changed) {
            var c = changed.change();
            if (!c.removed()) {
                recorder.synced(c.cluster());
            }
            progress.accept("catalog of " + c.cluster() + (c.removed() ? " removed" : " changed (version "
                    + c.version() + ")"));
            return Optional.of(EventData.reply(event, EventTypes.CATALOG_CHANGED, SOURCE, c.cluster(), c, Map.of()));
        }
        if (result instanceof SyncResult.Failed failed) {
            recorder.failed(failed.failure().cluster(), failed.failure().reason());
            progress.accept("export of " + failed.failure().cluster() + " FAILED: " + failed.failure());
            return Optional.of(EventData.reply(event, EventTypes.SERVICE_EXPORT_FAILED, SOURCE,
                    failed.failure().cluster(), failed.failure(), Map.of()));
        }
        if (result instanceof SyncResult.Unchanged unchanged) {
            recorder.synced(unchanged.cluster());
        }
        return Optional.empty();
    }
}
