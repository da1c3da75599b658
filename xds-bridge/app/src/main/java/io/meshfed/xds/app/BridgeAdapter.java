package io.meshfed.xds.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventData;
import io.meshfed.model.EventTypes;
import io.meshfed.model.Rules;
import java.util.Optional;
import java.util.Set;

/**
 * The xDS bridge's one CloudEvents adapter over {@link CatalogFeed}, for every host: the Funqy functions
 * ({@link BridgeFunctions}) and local mode's broker call {@link #handle}. {@code io.meshfed.catalog.changed},
 * {@code io.meshfed.cluster.registered} and {@code io.meshfed.cluster.deregistered} all mean "re-read this cluster",
 * {@code io.meshfed.policy.changed} "re-read every policy"; there is never a reply.
 *
 * <p>The cluster is the event's subject; without one, {@code data.cluster} or else {@code data.name}, when it is a
 * string (a {@code cluster.registered} event's {@code data.cluster} is the registered object, not a name). When the
 * subject and a name in the data are both given they must agree. The name must be a cluster name. Nothing else in
 * the data is trusted: the feed re-reads the cluster from the stores.
 */
public final class BridgeAdapter {
    static final Set<String> HANDLED = Set.of(EventTypes.CATALOG_CHANGED, EventTypes.CLUSTER_REGISTERED,
            EventTypes.CLUSTER_DEREGISTERED, EventTypes.POLICY_CHANGED);

    private final CatalogFeed feed;

    public BridgeAdapter(CatalogFeed feed) {
        this.feed = feed;
    }

    /**
     * Re-reads the cluster the event names; never a reply.
     *
     * @throws BadEventException when the event names no cluster, names two, or names one that cannot exist
     */
    public Optional<CloudEvent> handle(CloudEvent event) {
        if (!HANDLED.contains(event.getType())) {
            throw new BadEventException("type", "meshfed-xds-bridge does not handle " + event.getType());
        }
        if (EventTypes.POLICY_CHANGED.equals(event.getType())) {
            feed.refreshPolicies(); // names no cluster: every policy is re-read
        } else {
            feed.refresh(clusterOf(event));
        }
        return Optional.empty();
    }

    static String clusterOf(CloudEvent event) {
        JsonNode data = EventData.tree(event);
        String dataField = text(data, "cluster") != null ? "data.cluster" : text(data, "name") != null ? "data.name"
                : null;
        String fromData = dataField == null ? null : text(data, dataField.substring("data.".length()));
        String subject = event.getSubject();
        if (subject != null && fromData != null && !subject.equals(fromData)) {
            throw new BadEventException(dataField, "names cluster '" + fromData + "' but the subject is '" + subject
                    + "'");
        }
        String name = subject != null ? subject : fromData;
        if (name == null) {
            throw new BadEventException("subject", "names no cluster (set the subject, or data.cluster)");
        }
        String field = subject != null ? "subject" : dataField;
        Rules.dns1123Label(name).ifPresent(problem -> {
            throw new BadEventException(field, problem);
        });
        return name;
    }

    private static String text(JsonNode data, String field) {
        return data != null && data.hasNonNull(field) && data.get(field).isTextual() ? data.get(field).asText() : null;
    }
}
