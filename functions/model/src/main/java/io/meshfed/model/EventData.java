package io.meshfed.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Reading and answering CloudEvents SDK events, the same way in every function adapter: data is JSON read with
 * {@link ModelJson}, and a reply's id is {@code <request id>/<reply type without the io.meshfed. prefix>}, so a
 * redelivered request gets a reply with the same id (docs/events.md).
 */
public final class EventData {
    private EventData() {
    }

    /** The event's data bytes; null when it has none or they are blank. */
    public static byte[] bytes(CloudEvent event) {
        if (event.getData() == null) {
            return null;
        }
        byte[] bytes = event.getData().toBytes();
        return bytes == null || new String(bytes, StandardCharsets.UTF_8).isBlank() ? null : bytes;
    }

    /**
     * The event's data as a JSON tree; null when it has none.
     *
     * @throws BadEventException naming {@code data} when it is not JSON
     */
    public static JsonNode tree(CloudEvent event) {
        byte[] bytes = bytes(event);
        if (bytes == null) {
            return null;
        }
        try {
            return ModelJson.mapper().readTree(bytes);
        } catch (JsonProcessingException e) {
            throw BadEventException.notJson("data", e);
        } catch (IOException e) {
            throw new BadEventException("data", "cannot be read: " + e.getMessage(), e);
        }
    }

    /** A reply to {@code request}: JSON {@code data} (by {@link ModelJson}), the id rule, and the given extensions. */
    public static CloudEvent reply(CloudEvent request, String type, String source, String subject, Object data,
            Map<String, String> extensions) {
        byte[] json;
        try {
            json = ModelJson.mapper().writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("reply data always serializes", e);
        }
        CloudEventBuilder reply = CloudEventBuilder.v1()
                .withId(request.getId() + "/" + type.substring(EventTypes.PREFIX.length()))
                .withType(type)
                .withSource(URI.create(source))
                .withDataContentType("application/json")
                .withData(json);
        if (subject != null && !subject.isEmpty()) {
            reply.withSubject(subject);
        }
        extensions.forEach(reply::withExtension);
        return reply.build();
    }
}
