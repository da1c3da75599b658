package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventTypes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Local mode reads the export function's events exactly as the function does (one reader, {@code ExportEvents}):
 * a bad event is refused naming the field, before any cluster is read or any catalog written (the sync given
 * here is null: touching it would fail the test differently).
 */
class ExportEventsInLocalModeTest {
    private final Subscriber export = Functions.export(null, line -> { });

    private static CloudEvent event(String type, String subject, String json) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId("e-1").withSource(URI.create("test")).withType(type);
        if (subject != null) {
            b.withSubject(subject);
        }
        if (json != null) {
            b.withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    private String refusedField(CloudEvent e) {
        return assertThrows(BadEventException.class, () -> export.handle(e)).field();
    }

    @Test
    void badEventsAreRefusedNamingTheField() throws Exception {
        String east = io.meshfed.model.ModelJson.mapper().writeValueAsString(new io.meshfed.model.MeshCluster("east",
                "net-east", new io.meshfed.model.Locality("us-east", "a"),
                new io.meshfed.model.GatewayAddress("192.0.2.1", 15443), "east.meshfed.example", null));
        assertEquals("data.generation", refusedField(event(EventTypes.CLUSTER_REGISTERED, "east",
                "{\"cluster\": " + east + ", \"generation\": 0}")));
        assertEquals("data.cluster.name", refusedField(event(EventTypes.CLUSTER_REGISTERED, "west",
                "{\"cluster\": " + east + ", \"generation\": 3}")));
        assertEquals("data.cluster", refusedField(event(EventTypes.SERVICE_EXPORT_SYNC, "east", "{\"cluster\": \"west\"}")));
        assertEquals("data.clustr", refusedField(event(EventTypes.SERVICE_EXPORT_SYNC, null, "{\"clustr\": \"east\"}")));
        assertEquals("subject", refusedField(event(EventTypes.CLUSTER_DEREGISTERED, null, null)));
        assertEquals("subject", refusedField(event(EventTypes.SERVICE_EXPORT_SYNC, "East_1", null)));
        assertEquals("meshfedcluster", refusedField(event("dev.knative.apiserver.resource.update", null, null)));
        assertEquals("type", refusedField(event("io.meshfed.something.else", "east", null)));
    }
}
