package io.meshfed.funqy;

import io.cloudevents.CloudEvent;
import io.meshfed.model.EventAnswer;
import io.meshfed.tracing.EventTraceContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vertx.ext.web.RoutingContext;
import io.meshfed.tracing.TracingSwitch;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The spans of every CloudEvent a Funqy app is sent, in the trace the event arrived in
 * ({@link EventTraceContext#parent}: the delivery's {@code traceparent} header, else the event's extension):
 *
 * <ul>
 *   <li>the receive span ({@link SpanKind#CONSUMER}, named after the event's type as {@link EventObservation}
 *       bounds it), from the request's arrival to the end of the answer, with the CloudEvents attributes of the
 *       OpenTelemetry conventions and the HTTP status; ERROR for a 5xx answer. Events refused before any adapter ran
 *       get one too, continued from the {@code traceparent} or {@code ce-traceparent} header.</li>
 *   <li>the work span ({@code handle <type>}, its child), around the function adapter: current while it runs, so
 *       spans the adapter's calls make are its children, and the reply event carries it as its
 *       {@code traceparent}.</li>
 * </ul>
 *
 * <p>With the SDK off ({@link TracingSwitch}) the tracer is OpenTelemetry's no-op one: no span is made, and a reply
 * carries the trace context its request arrived with, unchanged.
 */
@Singleton
public class EventTracing {
    static final String RECEIVE_SPAN = "meshfed-receive-span";
    static final String ARRIVAL = "meshfed-arrival";
    static final AttributeKey<String> EVENT_ID = AttributeKey.stringKey("cloudevents.event_id");
    static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("cloudevents.event_type");
    static final AttributeKey<String> EVENT_SOURCE = AttributeKey.stringKey("cloudevents.event_source");
    static final AttributeKey<String> EVENT_SUBJECT = AttributeKey.stringKey("cloudevents.event_subject");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> FUNCTION = AttributeKey.stringKey("meshfed.function");
    static final AttributeKey<String> REPLY_TYPE = AttributeKey.stringKey("meshfed.reply.type");
    static final AttributeKey<String> REPLY_ID = AttributeKey.stringKey("meshfed.reply.id");

    @Inject
    Instance<Tracer> extensionTracer;
    @ConfigProperty(name = "quarkus.otel.sdk.disabled")
    boolean sdkDisabled;
    @ConfigProperty(name = "meshfed.metrics.function")
    String function;
    private Tracer tracer;

    @PostConstruct
    void init() {
        tracer = TracingSwitch.tracer(sdkDisabled, extensionTracer::get);
    }

    /** Marks the request's arrival, where its receive span will start. */
    void arrived(RoutingContext request) {
        request.put(ARRIVAL, Instant.now());
    }

    /**
     * Runs {@code adapter} on {@code event} inside the event's work span and stamps the reply with it.
     *
     * @param request the HTTP request the event came in, null outside one
     * @param type the event's type as bounded for names and labels
     */
    Optional<CloudEvent> handle(RoutingContext request, CloudEvent event, String type,
            Function<CloudEvent, Optional<CloudEvent>> adapter) {
        Span receive = receive(request, EventTraceContext.parent(request == null ? h -> null
                : request.request()::getHeader, event), type, event.getId(), event.getType(),
                String.valueOf(event.getSource()), event.getSubject());
        Span work = tracer.spanBuilder("handle " + type).setParent(Context.root().with(receive))
                .setAttribute(FUNCTION, function).startSpan();
        try (Scope ignored = work.makeCurrent()) {
            Optional<CloudEvent> reply = adapter.apply(event).map(EventTraceContext::stamp);
            reply.ifPresent(r -> work.setAttribute(REPLY_TYPE, r.getType()).setAttribute(REPLY_ID, r.getId()));
            return reply;
        } catch (RuntimeException e) {
            if (EventAnswer.of(e).status() >= 500) {
                work.recordException(e);
                work.setStatus(StatusCode.ERROR);
            }
            throw e;
        } finally {
            work.end();
            if (request == null) {
                receive.end();
            }
        }
    }

    /**
     * Ends the request's receive span with its answer's status; a request refused before any adapter ran gets its
     * span here, continued from the headers.
     */
    void answered(RoutingContext request, String type) {
        Span receive = request.get(RECEIVE_SPAN);
        if (receive == null) {
            receive = receive(request, EventTraceContext.parent(request.request()::getHeader,
                    name -> request.request().getHeader("ce-" + name)), type, request.request().getHeader("ce-id"),
                    request.request().getHeader("ce-type"), request.request().getHeader("ce-source"),
                    request.request().getHeader("ce-subject"));
        }
        int status = request.response().getStatusCode();
        receive.setAttribute(HTTP_STATUS, (long) status);
        if (status >= 500) {
            receive.setStatus(StatusCode.ERROR);
        }
        receive.end();
    }

    private Span receive(RoutingContext request, Context parent, String type, String id, String eventType,
            String source, String subject) {
        SpanBuilder b = tracer.spanBuilder(type).setSpanKind(SpanKind.CONSUMER).setParent(parent)
                .setAttribute(FUNCTION, function);
        if (request != null && request.get(ARRIVAL) instanceof Instant arrival) {
            b.setStartTimestamp(arrival);
        }
        attribute(b, EVENT_ID, id);
        attribute(b, EVENT_TYPE, eventType);
        attribute(b, EVENT_SOURCE, source);
        attribute(b, EVENT_SUBJECT, subject);
        Span span = b.startSpan();
        if (request != null) {
            request.put(RECEIVE_SPAN, span);
        }
        return span;
    }

    private static void attribute(SpanBuilder b, AttributeKey<String> key, String value) {
        if (value != null) {
            b.setAttribute(key, value);
        }
    }
}
