package io.meshfed.funqy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.MDC;

/**
 * What every CloudEvent a Funqy app is sent leaves behind, counted and timed in this one place per app whatever
 * became of it: {@code meshfed_events_total{function,type,outcome}} and {@code meshfed_event_seconds{function,type}},
 * the outcome read from the HTTP answer ({@code ok} below 400, {@code refused} for 4xx, {@code error} for 5xx), so
 * events Funqy or Vert.x refused before any adapter ran are counted too.
 *
 * <p>Labels are bounded: {@code type} is one of the types this app's Funqy mappings name
 * ({@code quarkus.funqy.knative-events.mapping.*.trigger}), or {@code other} for anything else a caller sent.
 *
 * <p>Traces: the event's spans are {@link EventTracing}'s, started and ended from here and {@link FunqyEvents#handle}.
 *
 * <p>Log context: for the whole handling the event's {@code ce-id}, {@code ce-type} and {@code ce-source} are in the
 * MDC, from the binary-mode headers here, and from the parsed event in {@link FunqyEvents#handle} (structured mode,
 * and the worker thread the function runs on).
 */
@Singleton
public class EventObservation {
    /** Routing-context keys {@link FunqyEvents#handle} fills with the parsed event's attributes. */
    static final String ID = "ce-id";
    static final String TYPE = "ce-type";
    static final String SOURCE = "ce-source";
    static final String OTHER_TYPE = "other";
    private static final String MAPPING = "quarkus.funqy.knative-events.mapping.";

    @Inject
    MeterRegistry registry;
    @Inject
    EventTracing tracing;
    @Inject
    Config config;
    @ConfigProperty(name = "meshfed.metrics.function")
    String function;

    private Set<String> handledTypes;
    private final ConcurrentMap<String, Meters> meters = new ConcurrentHashMap<>();

    private record Meters(Counter ok, Counter refused, Counter error, Timer time) {
    }

    void install(@Observes Router router) {
        Set<String> types = new TreeSet<>();
        for (String name : config.getPropertyNames()) {
            if (name.startsWith(MAPPING) && name.endsWith(".trigger")) {
                config.getOptionalValue(name, String.class).ifPresent(types::add);
            }
        }
        handledTypes = Set.copyOf(types);
        for (String type : handledTypes) {
            meters(type); // every handled type's series exists from the start, at zero
        }
        // Right after EventFailureRoute's failure handler (Integer.MIN_VALUE), before Funqy's route.
        router.route().order(Integer.MIN_VALUE + 1).handler(this::observe);
    }

    private void observe(RoutingContext ctx) {
        if (ctx.request().method() != HttpMethod.POST) {
            ctx.next();
            return;
        }
        long start = System.nanoTime();
        tracing.arrived(ctx);
        putMdc(ctx.request().getHeader(ID), ctx.request().getHeader(TYPE), ctx.request().getHeader(SOURCE));
        ctx.addEndHandler(done -> {
            String type = ctx.get(TYPE) instanceof String parsed ? parsed : ctx.request().getHeader(TYPE);
            String bounded = bounded(type);
            Meters m = meters(bounded);
            int status = ctx.response().getStatusCode();
            (status < 400 ? m.ok() : status < 500 ? m.refused() : m.error()).increment();
            m.time().record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            tracing.answered(ctx, bounded);
            clearMdc();
        });
        ctx.next();
    }

    /** {@code type} when this app handles it, else {@code other}: a label value or span name a caller cannot invent. */
    String bounded(String type) {
        return type != null && handledTypes.contains(type) ? type : OTHER_TYPE;
    }

    private Meters meters(String type) {
        return meters.computeIfAbsent(type, t -> new Meters(counter(t, "ok"), counter(t, "refused"),
                counter(t, "error"), Timer.builder("meshfed.event").description("time to answer one CloudEvent")
                        .tag("function", function).tag("type", t).publishPercentileHistogram()
                        .register(registry)));
    }

    private Counter counter(String type, String outcome) {
        return Counter.builder("meshfed.events").description("CloudEvents handled").tag("function", function)
                .tag("type", type).tag("outcome", outcome).register(registry);
    }

    /**
     * Puts what is known of the request's event into the logging context of the current thread: what
     * {@link FunqyEvents#handle} parsed, else the binary-mode headers. For a failure handler, which runs on whichever
     * thread failed the request.
     */
    static void putMdc(RoutingContext ctx) {
        putMdc(ctx.get(ID) instanceof String id ? id : ctx.request().getHeader(ID),
                ctx.get(TYPE) instanceof String type ? type : ctx.request().getHeader(TYPE),
                ctx.get(SOURCE) instanceof String source ? source : ctx.request().getHeader(SOURCE));
    }

    /** Puts what is known of the event into the logging context of the current thread (or Vert.x context). */
    static void putMdc(String id, String type, String source) {
        if (id != null) {
            MDC.put(ID, id);
        }
        if (type != null) {
            MDC.put(TYPE, type);
        }
        if (source != null) {
            MDC.put(SOURCE, source);
        }
    }

    static void clearMdc() {
        MDC.remove(ID);
        MDC.remove(TYPE);
        MDC.remove(SOURCE);
    }
}
