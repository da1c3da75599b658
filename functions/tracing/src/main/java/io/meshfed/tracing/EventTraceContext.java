package io.meshfed.tracing;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The W3C trace context of a CloudEvent, in and out. In: the delivery's {@code traceparent}/{@code tracestate} HTTP
 * headers (what Knative's Broker sends when it traces), else the event's Distributed Tracing extension attributes
 * {@code traceparent}/{@code tracestate} ({@code ce-traceparent} in binary mode, a member of a structured envelope),
 * else none: the event starts a new trace. A malformed {@code traceparent} counts as absent (W3C's rule: a receiver
 * that cannot parse it starts a new trace), wherever it was. Out: every event meshfed sends carries the current span's
 * context as its {@code traceparent} (and {@code tracestate}) extension, so the next hop continues the trace even when
 * the Broker between them does not trace.
 *
 * <p>Only W3C trace context, whatever {@code quarkus.otel.propagators} says: it is what the CloudEvents extension
 * and Knative carry. Stateless and thread-safe.
 */
public final class EventTraceContext {
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

    private EventTraceContext() {
    }

    /**
     * The context a handled event's span continues: from the HTTP headers when they hold a valid
     * {@code traceparent}, else from the event's extension ({@code extension}: its value of an attribute name, null
     * when absent); {@link Context#root()} when neither does.
     *
     * @param header the delivery's value of a header name (case-insensitive), null when absent
     */
    public static Context parent(Function<String, String> header, Function<String, String> extension) {
        Context fromHeaders = extract(header);
        return valid(fromHeaders) ? fromHeaders : extract(extension);
    }

    /** {@link #parent(Function, Function)} with the extension of an SDK event. */
    public static Context parent(Function<String, String> header, CloudEvent event) {
        return parent(header, name -> java.util.Objects.toString(event.getExtension(name), null));
    }

    /** Whether {@code context} holds a span context that can be continued. */
    public static boolean valid(Context context) {
        return Span.fromContext(context).getSpanContext().isValid();
    }

    /**
     * The {@code traceparent} and {@code tracestate} of {@code context}'s span (no {@code tracestate} when empty);
     * empty when it holds no valid span context.
     */
    public static Map<String, String> attributes(Context context) {
        Map<String, String> out = new HashMap<>();
        W3C.inject(context, out, Map::put);
        return out;
    }

    /** {@code event} with the current span's context as its trace extension (replacing any it had). */
    public static CloudEvent stamp(CloudEvent event) {
        return stamp(event, Context.current());
    }

    /** {@code event} with {@code context}'s span as its trace extension; unchanged when there is none to give. */
    public static CloudEvent stamp(CloudEvent event, Context context) {
        Map<String, String> trace = attributes(context);
        if (trace.isEmpty()) {
            return event;
        }
        CloudEventBuilder b = CloudEventBuilder.from(event).withoutExtension(TRACESTATE);
        trace.forEach(b::withExtension);
        return b.build();
    }

    private static Context extract(Function<String, String> values) {
        return W3C.extract(Context.root(), values, GETTER);
    }

    private static final TextMapGetter<Function<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Function<String, String> carrier) {
            return List.of(TRACEPARENT, TRACESTATE);
        }

        @Override
        public String get(Function<String, String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };
}
