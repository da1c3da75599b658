package io.meshfed.export;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import io.quarkus.funqy.knative.events.CloudEventBuilder;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * The export function: a thin CloudEvents adapter over {@link CatalogSync}, one Funqy function per handled type
 * (mappings in application.properties).
 *
 * <p>Each function returns the reply event or {@code null}. Funqy answers a {@code null} {@link CloudEvent} with
 * {@code 204 No Content} and no {@code ce-*} headers, which Knative takes as "delivered, nothing to reply": that is
 * how an unchanged sync stays silent. Event data is taken as raw bytes and read by {@link ExportEvents} with the
 * model's strict mapping, so malformed data becomes a 400 that names the field. Reply ids derive from the
 * request's id, so a redelivered request that does the same thing replies with the same id.
 */
public class ExportFunctions {
    static final String SOURCE = "meshfed/export";
    private static final Logger LOG = Logger.getLogger(ExportFunctions.class);

    @Inject
    CatalogSync sync;

    @Funq("sync")
    public CloudEvent<JsonNode> sync(CloudEvent<byte[]> event) {
        String cluster = ExportEvents.syncCluster(event.subject(), dataOf(event));
        return reply(event, sync.sync(cluster));
    }

    /*
     * A Knative ApiServerSource watching a workload cluster's Services, EndpointSlices or ServiceExports cannot
     * send io.meshfed.service.export.sync: it sends dev.knative.apiserver.resource.{add,update,delete} with the
     * changed object as data and its path as subject. Those are taken as syncs of the cluster named by the
     * "meshfedcluster" extension (set with the source's ceOverrides); the object itself is ignored, since the
     * sync reads current state anyway.
     */

    @Funq("apiServerAdd")
    public CloudEvent<JsonNode> apiServerAdd(CloudEvent<byte[]> event) {
        return reply(event, sync.sync(ExportEvents.apiServerCluster(event.extensions())));
    }

    @Funq("apiServerUpdate")
    public CloudEvent<JsonNode> apiServerUpdate(CloudEvent<byte[]> event) {
        return reply(event, sync.sync(ExportEvents.apiServerCluster(event.extensions())));
    }

    @Funq("apiServerDelete")
    public CloudEvent<JsonNode> apiServerDelete(CloudEvent<byte[]> event) {
        return reply(event, sync.sync(ExportEvents.apiServerCluster(event.extensions())));
    }

    @Funq("registered")
    public CloudEvent<JsonNode> registered(CloudEvent<byte[]> event) {
        ExportEvents.ClusterRegisteredData data = ExportEvents.registered(event.subject(), dataOf(event));
        return reply(event, sync.registered(data.cluster().name(), data.generation()));
    }

    @Funq("deregistered")
    public CloudEvent<JsonNode> deregistered(CloudEvent<byte[]> event) {
        String cluster = ExportEvents.deregistered(event.subject(), dataOf(event));
        return reply(event, sync.deregistered(cluster));
    }

    /**
     * The event's data, null when it has none. Funqy's binary-mode event fails with a NullPointerException when
     * the request has no body at all (a sync needs none: the subject names the cluster).
     */
    private static byte[] dataOf(CloudEvent<byte[]> event) {
        try {
            return event.data();
        } catch (NullPointerException noBody) {
            return null;
        }
    }

    private static CloudEvent<JsonNode> reply(CloudEvent<byte[]> request, SyncResult result) {
        if (result instanceof SyncResult.Changed changed) {
            LOG.infof("catalog of %s %s (version %d, %s)", changed.change().cluster(),
                    changed.change().removed() ? "removed" : "changed", changed.change().version(),
                    changed.change().contentHash());
            return event(request, EventTypes.CATALOG_CHANGED, changed.change().cluster(), changed.change());
        }
        if (result instanceof SyncResult.Failed failed) {
            return event(request, EventTypes.SERVICE_EXPORT_FAILED, failed.failure().cluster(), failed.failure());
        }
        LOG.debugf("catalog of %s unchanged", ((SyncResult.Unchanged) result).cluster());
        return null;
    }

    private static CloudEvent<JsonNode> event(CloudEvent<byte[]> request, String type, String subject, Object data) {
        return CloudEventBuilder.create()
                .id(request.id() + "/" + type.substring(EventTypes.PREFIX.length()))
                .specVersion("1.0")
                .type(type)
                .source(SOURCE)
                .subject(subject)
                .build(ModelJson.mapper().<JsonNode>valueToTree(data));
    }
}
