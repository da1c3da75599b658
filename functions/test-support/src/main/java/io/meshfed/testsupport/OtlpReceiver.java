package io.meshfed.testsupport;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver on loopback, as a collector receives: {@code POST /v1/traces} with an
 * {@code application/x-protobuf} {@code ExportTraceServiceRequest} (gzip or not), decoded with OpenTelemetry's own
 * proto classes and answered with an empty {@code ExportTraceServiceResponse}. Keeps every span it was sent, in
 * arrival order. Thread-safe.
 */
public final class OtlpReceiver implements AutoCloseable {
    /** One received span, ids as lower-case hex (a root span's parent is empty). */
    public record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, String name,
            String kind, Map<String, String> attributes) {
        public boolean root() {
            return parentSpanId.isEmpty();
        }

        public String attribute(String key) {
            return attributes.get(key);
        }

        /** This span's W3C {@code traceparent} (sampled). */
        public String traceparent() {
            return "00-" + traceId + "-" + spanId + "-01";
        }
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new ArrayList<>();
    private int requests;

    public OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/traces", exchange -> {
            try (exchange) {
                byte[] body;
                try (InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                        ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body);
                record(request);
                byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
                exchange.getResponseBody().write(answer);
            }
        });
        server.start();
    }

    /** What to set {@code quarkus.otel.exporter.otlp.traces.endpoint} (or {@code OTEL_EXPORTER_OTLP_ENDPOINT}) to. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private synchronized void record(ExportTraceServiceRequest request) {
        requests++;
        for (ResourceSpans rs : request.getResourceSpansList()) {
            String service = rs.getResource().getAttributesList().stream()
                    .filter(kv -> kv.getKey().equals("service.name")).map(kv -> kv.getValue().getStringValue())
                    .findFirst().orElse("");
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (var s : ss.getSpansList()) {
                    Map<String, String> attributes = new TreeMap<>();
                    for (KeyValue kv : s.getAttributesList()) {
                        var v = kv.getValue();
                        attributes.put(kv.getKey(), switch (v.getValueCase()) {
                            case STRING_VALUE -> v.getStringValue();
                            case INT_VALUE -> Long.toString(v.getIntValue());
                            case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
                            case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
                            default -> v.toString();
                        });
                    }
                    spans.add(new ReceivedSpan(service, hex(s.getTraceId().toByteArray()),
                            hex(s.getSpanId().toByteArray()), hex(s.getParentSpanId().toByteArray()), s.getName(),
                            s.getKind().name(), Map.copyOf(attributes)));
                }
            }
        }
        notifyAll();
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** Every span received so far. */
    public synchronized List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    /** How many export requests arrived. */
    public synchronized int requests() {
        return requests;
    }

    /**
     * The first span received that {@code match} accepts, waiting for it up to {@code timeout} (exporters send in
     * batches).
     *
     * @throws AssertionError naming what was received when none arrives in time
     */
    public synchronized ReceivedSpan await(Predicate<ReceivedSpan> match, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (ReceivedSpan s : spans) {
                if (match.test(s)) {
                    return s;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no such span within " + timeout + "; received: " + spans);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** {@link #await} a span of this name whose {@code cloudevents.event_id} is {@code eventId}. */
    public ReceivedSpan awaitEvent(String name, String eventId, Duration timeout) throws InterruptedException {
        return await(s -> s.name().equals(name) && eventId.equals(s.attribute("cloudevents.event_id")), timeout);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
