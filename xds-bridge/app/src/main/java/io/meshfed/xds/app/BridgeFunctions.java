package io.meshfed.xds.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.model.BadEventException;
import io.meshfed.model.Rules;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * The CloudEvents sink: {@code io.meshfed.catalog.changed}, {@code io.meshfed.cluster.registered} and
 * {@code io.meshfed.cluster.deregistered} all mean "re-read this cluster". The cluster is the event's subject
 * (or, failing that, {@code data.cluster} / {@code data.name}); the event's data is otherwise not trusted.
 */
public class BridgeFunctions {
    @Inject
    CatalogFeed feed;

    @Funq("catalog-changed")
    public void catalogChanged(CloudEvent<JsonNode> event) {
        feed.refresh(clusterOf(event));
    }

    @Funq("cluster-registered")
    public void clusterRegistered(CloudEvent<JsonNode> event) {
        feed.refresh(clusterOf(event));
    }

    @Funq("cluster-deregistered")
    public void clusterDeregistered(CloudEvent<JsonNode> event) {
        feed.refresh(clusterOf(event));
    }

    static String clusterOf(CloudEvent<JsonNode> event) {
        JsonNode data = event.data();
        String name = Optional.ofNullable(event.subject())
                .or(() -> text(data, "cluster"))
                .or(() -> text(data, "name"))
                .orElseThrow(() -> new BadEventException("subject",
                        "names no cluster (set the subject, or data.cluster)"));
        Rules.dns1123Label(name).ifPresent(problem -> {
            throw new BadEventException("subject", problem);
        });
        return name;
    }

    private static Optional<String> text(JsonNode data, String field) {
        return data != null && data.hasNonNull(field) && data.get(field).isTextual()
                ? Optional.of(data.get(field).asText()) : Optional.empty();
    }
}
