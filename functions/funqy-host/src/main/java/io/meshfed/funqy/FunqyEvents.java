package io.meshfed.funqy;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.rw.CloudEventRWException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventData;
import io.meshfed.model.ModelJson;
import java.io.IOException;
import java.net.URI;
import java.time.DateTimeException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import io.quarkus.arc.Arc;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Funqy's CloudEvent to the CloudEvents SDK type every function adapter takes, and the adapter's reply back, so
 * that a {@code @Funq} method is one line: {@code return FunqyEvents.handle(event, adapter::handle)}.
 * The functions take {@code CloudEvent<byte[]>}: Funqy hands over the data as sent (binary mode) or as the
 * envelope's {@code data} re-serialized (structured mode), and the adapter reads it, as it does in local mode.
 */
public final class FunqyEvents {
    private FunqyEvents() {
    }

    /**
     * The adapter's answer to {@code event}, with the event's id, type and source in the logging context (MDC) for
     * as long as the adapter runs, told to {@link EventObservation}, which counts the event by its type, and run in
     * the event's trace ({@link EventTracing}: the reply carries the work span's {@code traceparent}).
     *
     * @throws BadEventException as {@link #toSdk}; and whatever the adapter throws
     */
    public static io.quarkus.funqy.knative.events.CloudEvent<JsonNode> handle(
            io.quarkus.funqy.knative.events.CloudEvent<byte[]> event, Function<CloudEvent, Optional<CloudEvent>> adapter) {
        EventObservation.putMdc(event.id(), event.type(), event.source());
        RoutingContext request = currentRequest();
        if (request != null) {
            request.put(EventObservation.ID, event.id());
            request.put(EventObservation.TYPE, event.type());
            request.put(EventObservation.SOURCE, event.source());
        }
        try {
            CloudEvent sdk = toSdk(event);
            var container = Arc.container();
            if (container == null) {
                return answer(adapter.apply(sdk));
            }
            EventObservation observation = container.instance(EventObservation.class).get();
            return answer(container.instance(EventTracing.class).get().handle(request, sdk,
                    observation.bounded(sdk.getType()), adapter));
        } finally {
            EventObservation.clearMdc();
        }
    }

    private static RoutingContext currentRequest() {
        var container = Arc.container();
        if (container == null || !container.requestContext().isActive()) {
            return null;
        }
        return container.instance(CurrentVertxRequest.class).get().getCurrent();
    }

    /**
     * The same event as the SDK type, read as local mode's broker reads one off the wire.
     *
     * @throws BadEventException naming {@code event} when it is not a valid CloudEvent (a missing id, source or type,
     *     a source that is not a URI reference, a bad time or extension name)
     */
    public static CloudEvent toSdk(io.quarkus.funqy.knative.events.CloudEvent<byte[]> event) {
        try {
            CloudEventBuilder b = CloudEventBuilder.fromSpecVersion(event.specVersion() == null ? SpecVersion.V1
                    : SpecVersion.parse(event.specVersion()));
            b.withId(event.id()).withType(event.type());
            if (event.source() != null) {
                b.withSource(URI.create(event.source()));
            }
            if (event.subject() != null) {
                b.withSubject(event.subject());
            }
            if (event.time() != null) {
                b.withTime(event.time());
            }
            if (event.dataSchema() != null) {
                b.withDataSchema(URI.create(event.dataSchema()));
            }
            for (Map.Entry<String, String> e : event.extensions().entrySet()) {
                // Funqy lists every unreserved member of a structured envelope; only string attributes are extensions
                if (e.getValue() != null && !"data_base64".equalsIgnoreCase(e.getKey())) {
                    b.withExtension(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
                }
            }
            byte[] data = data(event);
            if (data != null) {
                b.withData(event.dataContentType(), data);
            } else if (event.dataContentType() != null) {
                b.withDataContentType(event.dataContentType());
            }
            return b.build();
        } catch (CloudEventRWException | IllegalArgumentException | IllegalStateException | DateTimeException e) {
            throw BadEventException.notACloudEvent("is not a CloudEvent: " + e.getMessage(), e);
        }
    }

    /** The adapter's reply as Funqy's type, null for none (Funqy answers 204 with no {@code ce-*} headers). */
    public static io.quarkus.funqy.knative.events.CloudEvent<JsonNode> answer(Optional<CloudEvent> reply) {
        if (reply.isEmpty()) {
            return null;
        }
        CloudEvent r = reply.get();
        Map<String, String> extensions = new TreeMap<>();
        for (String name : r.getExtensionNames()) {
            extensions.put(name, String.valueOf(r.getExtension(name)));
        }
        var builder = io.quarkus.funqy.knative.events.CloudEventBuilder.create()
                .specVersion(r.getSpecVersion().toString())
                .id(r.getId())
                .type(r.getType())
                .source(r.getSource().toString())
                .extensions(extensions);
        if (r.getSubject() != null) {
            builder.subject(r.getSubject());
        }
        byte[] data = EventData.bytes(r);
        try {
            return builder.build(data == null ? null : ModelJson.mapper().readTree(data));
        } catch (IOException e) {
            throw new IllegalStateException("a reply's data is the JSON its adapter wrote", e);
        }
    }

    /** Funqy's binary-mode event fails with a NullPointerException when the request has no body at all. */
    private static byte[] data(io.quarkus.funqy.knative.events.CloudEvent<byte[]> event) {
        try {
            return event.data();
        } catch (NullPointerException noBody) {
            return null;
        }
    }
}
