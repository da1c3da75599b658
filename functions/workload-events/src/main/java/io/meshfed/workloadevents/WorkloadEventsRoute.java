package io.meshfed.workloadevents;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventAnswer;
import io.meshfed.tracing.EventTraceContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * {@code POST /}: one CloudEvent (binary or structured) with {@code Authorization: Bearer <token>}; 202 once the
 * export sync it becomes is on the Broker. Every refusal is answered as every meshfed entry point answers
 * ({@link EventAnswer}: 400, 401, 403, 413, 422, 503). {@code GET /healthz} answers {@code ok}.
 *
 * <p>Traces: each POST is a span ({@value #SPAN}) in the trace the event arrived in (the {@code traceparent} header,
 * else the event's {@code traceparent} extension: {@link EventTraceContext}), from arrival to answer, current while
 * the gate reviews the token and the sync is posted; the sync carries it as its {@code traceparent}.
 */
@Singleton
public class WorkloadEventsRoute {
    private static final Logger LOG = Logger.getLogger(WorkloadEventsRoute.class);

    @Inject
    WorkloadEventGate gate;
    @Inject
    BrokerSender broker;
    @Inject
    jakarta.enterprise.inject.Instance<Tracer> extensionTracer;
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.otel.sdk.disabled")
    boolean sdkDisabled;
    private Tracer tracer;

    static final String SPAN = "workload event";
    private static final String SPAN_KEY = "meshfed-span";
    private static final AttributeKey<String> EVENT_ID = AttributeKey.stringKey("cloudevents.event_id");
    private static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("cloudevents.event_type");
    private static final AttributeKey<String> EVENT_SOURCE = AttributeKey.stringKey("cloudevents.event_source");
    private static final AttributeKey<String> SYNC_ID = AttributeKey.stringKey("meshfed.reply.id");
    private static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");

    void install(@Observes Router router) {
        tracer = io.meshfed.tracing.TracingSwitch.tracer(sdkDisabled, extensionTracer::get);
        router.get("/healthz").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain").end("ok\n"));
        router.post("/").handler(this::arrive); // its own route: a body handler must be its route's first
        router.post("/").handler(BodyHandler.create().setBodyLimit(EventAnswer.MAX_BODY_BYTES))
                .blockingHandler(this::handle, false)
                .failureHandler(this::refuse);
    }

    /** Starts the answer's clock; the span ends with the answer, made here from the headers if none was made. */
    private void arrive(RoutingContext ctx) {
        Instant arrival = Instant.now();
        ctx.addEndHandler(done -> {
            Span span = ctx.get(SPAN_KEY);
            if (span == null) { // refused before the event was read (too large, not a CloudEvent)
                span = start(ctx, arrival, EventTraceContext.parent(ctx.request()::getHeader,
                        name -> ctx.request().getHeader("ce-" + name)));
            }
            int status = ctx.response().getStatusCode();
            span.setAttribute(HTTP_STATUS, (long) status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        });
        ctx.put("meshfed-arrival", arrival);
        ctx.next();
    }

    private Span start(RoutingContext ctx, Instant arrival, Context parent) {
        Span span = tracer.spanBuilder(SPAN).setSpanKind(SpanKind.CONSUMER).setParent(parent)
                .setStartTimestamp(arrival).startSpan();
        ctx.put(SPAN_KEY, span);
        return span;
    }

    private void handle(RoutingContext ctx) {
        Map<String, List<String>> headers = new HashMap<>();
        ctx.request().headers().forEach(h -> headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT),
                k -> new java.util.ArrayList<>()).add(h.getValue()));
        CloudEvent event;
        try {
            event = HttpMessageFactory.createReaderFromMultimap(headers, ctx.body().buffer() == null ? new byte[0]
                    : ctx.body().buffer().getBytes()).toEvent();
        } catch (CloudEventRWException | EventDeserializationException | IllegalStateException e) {
            ctx.fail(BadEventException.notACloudEvent("is not a CloudEvent: " + e.getMessage(), e));
            return;
        }
        Span span = start(ctx, ctx.get("meshfed-arrival"), EventTraceContext.parent(ctx.request()::getHeader, event))
                .setAttribute(EVENT_ID, event.getId()).setAttribute(EVENT_TYPE, event.getType())
                .setAttribute(EVENT_SOURCE, String.valueOf(event.getSource()));
        CloudEvent sync;
        try (Scope ignored = span.makeCurrent()) {
            sync = EventTraceContext.stamp(gate.admit(event, ctx.request().getHeader("Authorization")));
            span.setAttribute(SYNC_ID, sync.getId());
            broker.send(sync);
        } catch (RuntimeException e) {
            span.recordException(e);
            throw e;
        }
        LOG.infof("admitted %s of cluster %s: %s posted", event.getType(), sync.getSubject(), sync.getId());
        ctx.response().setStatusCode(202).end();
    }

    private void refuse(RoutingContext ctx) {
        EventAnswer answer = EventAnswer.of(ctx.statusCode() == 413 ? EventAnswer.tooLarge().failure()
                : ctx.failure() != null ? ctx.failure() : BadEventException.notACloudEvent("is not a CloudEvent", null));
        if (answer.status() >= 500) {
            LOG.errorf(ctx.failure(), "a workload event failed: %s", answer.failure().getMessage());
        }
        ctx.response().setStatusCode(answer.status()).putHeader("Content-Type", EventAnswer.CONTENT_TYPE)
                .end(answer.body());
    }
}
