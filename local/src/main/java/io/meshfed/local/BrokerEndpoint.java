package io.meshfed.local;

import io.meshfed.xds.debug.ConfigDump;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventAnswer;
import io.meshfed.model.EventFailure;
import io.meshfed.workloadevents.WorkloadEventGate;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The broker's HTTP ingress: CloudEvents in binary or structured mode on {@code POST /}. It answers like calling the
 * subscribed function directly, with the statuses of docs/events.md ("HTTP answers that are not events"):
 * {@code 200} with the reply event (binary mode) when the first hop replied, {@code 202} when it did not (or no
 * Trigger matched: the event is dropped, as a Knative broker does). Every refusal is {@link EventAnswer}'s, the
 * answer the Funqy functions give too: a request that is not a CloudEvent, or that its function's adapter refuses
 * ({@link EventFailure}), a body above {@value EventAnswer#MAX_BODY_BYTES} bytes (413, not parsed), and any other
 * failure (500). Every request gets an answer. {@code GET /debug/config_dump} is the bridge's debug view
 * ({@link ConfigDump}) and {@code GET /healthz} answers {@code ok}.
 *
 * <p>{@code POST /workload-events} is the entry workload clusters post to, as the deployed
 * {@code meshfed-workload-events} function: the {@link WorkloadEventGate} decides with the request's
 * {@code Authorization} header, and what it admits (an export sync of the authenticated cluster) is published here;
 * the answer is {@code 202}, or the gate's refusal.
 */
public final class BrokerEndpoint implements AutoCloseable {
    /** The largest request body taken, as every meshfed entry point: {@link EventAnswer#MAX_BODY_BYTES}. */
    public static final int MAX_BODY_BYTES = EventAnswer.MAX_BODY_BYTES;
    /**
     * How much of an oversized body is read and discarded so the client, still sending, gets the 413 rather than
     * a reset connection; beyond this the connection is closed after the answer.
     */
    private static final long MAX_DISCARDED_BYTES = 64L * 1024 * 1024;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "broker-http");
        t.setDaemon(true);
        return t;
    });
    private final LocalBroker broker;
    private final ConfigDump configDump;
    private final WorkloadEventGate workloadEvents;
    /** Where workload clusters post their events. */
    public static final String WORKLOAD_EVENTS_PATH = "/workload-events";
    private final Consumer<String> progress;

    BrokerEndpoint(LocalBroker broker, ConfigDump configDump, WorkloadEventGate workloadEvents, String host, int port,
            Consumer<String> progress) throws IOException {
        this.broker = broker;
        this.configDump = configDump;
        this.workloadEvents = workloadEvents;
        this.progress = progress;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (java.net.BindException e) {
            throw new java.net.BindException("port " + port + " is in use: stop what listens there or pass "
                    + "--broker-port <port>");
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** {@code a=1&b=2}, percent-decoded; the last of a repeated name wins. */
    static Map<String, String> queryParameters(String rawQuery) {
        Map<String, String> out = new java.util.HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8),
                    java.net.URLDecoder.decode(value, java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                answer(exchange);
            } catch (RuntimeException e) {
                refuse(exchange, null, e);
            }
        }
    }

    private void answer(HttpExchange exchange) throws IOException {
        if ("GET".equals(exchange.getRequestMethod()) && "/healthz".equals(exchange.getRequestURI().getPath())) {
            send(exchange, 200, "text/plain", "ok\n");
            return;
        }
        if ("GET".equals(exchange.getRequestMethod())
                && "/debug/config_dump".equals(exchange.getRequestURI().getPath())) {
            Map<String, String> query = queryParameters(exchange.getRequestURI().getRawQuery());
            send(exchange, 200, "application/json", configDump.render("true".equals(query.get("resources")),
                    query.get("cluster")));
            return;
        }
        if (!"POST".equals(exchange.getRequestMethod())) {
            send(exchange, 405, EventAnswer.CONTENT_TYPE, EventAnswer.of(BadEventException.notACloudEvent(
                    "POST a CloudEvent to /", null)).body());
            return;
        }
        byte[] body = readBody(exchange);
        if (body == null) {
            refuse(exchange, null, EventAnswer.tooLarge().failure());
            return;
        }
        Map<String, List<String>> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        CloudEvent event;
        try {
            event = HttpMessageFactory.createReaderFromMultimap(headers, body).toEvent();
        } catch (CloudEventRWException | EventDeserializationException | IllegalStateException e) {
            refuse(exchange, null, BadEventException.notACloudEvent("is not a CloudEvent: " + e.getMessage(), e));
            return;
        }
        if (WORKLOAD_EVENTS_PATH.equals(exchange.getRequestURI().getPath())) {
            CloudEvent sync;
            try {
                sync = workloadEvents.admit(event, exchange.getRequestHeaders().getFirst("Authorization"));
                broker.publish(sync);
            } catch (RuntimeException e) {
                refuse(exchange, event.getType(), e);
                return;
            }
            progress.accept("admitted " + event.getType() + " of cluster " + sync.getSubject()
                    + " from its workload events");
            exchange.sendResponseHeaders(202, -1);
            return;
        }
        LocalBroker.Outcome outcome;
        try {
            outcome = broker.publish(event);
        } catch (RuntimeException e) {
            refuse(exchange, event.getType(), e);
            return;
        }
        if (outcome.deliveries().isEmpty()) {
            progress.accept("no Trigger for type " + event.getType() + "; event dropped");
        }
        if (outcome.replies().isEmpty()) {
            exchange.sendResponseHeaders(202, -1);
            return;
        }
        CloudEvent reply = outcome.replies().get(0);
        byte[][] out = new byte[1][];
        HttpMessageFactory.createWriter(exchange.getResponseHeaders()::add, b -> out[0] = b).writeBinary(reply);
        byte[] bytes = out[0] == null ? new byte[0] : out[0];
        exchange.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(bytes);
            }
        }
    }

    /** The request body, or null when it is larger than {@link #MAX_BODY_BYTES} (read and dropped, up to a bound). */
    private static byte[] readBody(HttpExchange exchange) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        boolean tooLarge = false;
        try {
            tooLarge = declared != null && Long.parseLong(declared.trim()) > MAX_BODY_BYTES;
        } catch (NumberFormatException e) {
            // the server has refused a malformed Content-Length before we get here; read what comes
        }
        InputStream in = exchange.getRequestBody();
        if (!tooLarge) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length <= MAX_BODY_BYTES) {
                return body;
            }
        }
        long discarded = 0;
        byte[] sink = new byte[64 * 1024];
        for (int n; discarded < MAX_DISCARDED_BYTES && (n = in.read(sink)) > 0; ) {
            discarded += n;
        }
        return null;
    }

    /** Answers {@code failure} as every host does ({@link EventAnswer}), and says so on the progress output. */
    private void refuse(HttpExchange exchange, String type, RuntimeException failure) throws IOException {
        EventAnswer answer = EventAnswer.of(failure);
        String what = type == null ? "an event" : type;
        if (answer.status() >= 500) {
            progress.accept("failed on " + what + " (" + answer.status() + "): " + failure);
        } else {
            progress.accept("refused " + what + " (" + answer.status() + "): " + answer.failure().getMessage());
        }
        send(exchange, answer.status(), EventAnswer.CONTENT_TYPE, answer.body());
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
