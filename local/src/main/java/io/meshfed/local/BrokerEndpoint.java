package io.meshfed.local;

import io.meshfed.xds.debug.ConfigDump;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cloudevents.CloudEvent;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import io.meshfed.model.BadEventException;
import java.io.IOException;
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
 * subscribed function directly: {@code 200} with the reply event (binary mode) when the first hop replied, {@code 202}
 * when it did not (or no Trigger matched: the event is dropped, as a Knative broker does), {@code 400} with
 * {@code {"field":..., "problem":...}} for an event that is malformed or that its function refuses. This is the one
 * place where errors become HTTP codes. {@code GET /debug/config_dump} is the bridge's debug view ({@link ConfigDump})
 * and {@code GET /healthz} answers {@code ok}.
 */
public final class BrokerEndpoint implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "broker-http");
        t.setDaemon(true);
        return t;
    });
    private final LocalBroker broker;
    private final ConfigDump configDump;
    private final Consumer<String> progress;

    BrokerEndpoint(LocalBroker broker, ConfigDump configDump, String host, int port, Consumer<String> progress)
            throws IOException {
        this.broker = broker;
        this.configDump = configDump;
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

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if ("GET".equals(exchange.getRequestMethod()) && "/healthz".equals(exchange.getRequestURI().getPath())) {
                send(exchange, 200, "text/plain", "ok\n");
                return;
            }
            if ("GET".equals(exchange.getRequestMethod())
                    && "/debug/config_dump".equals(exchange.getRequestURI().getPath())) {
                String query = exchange.getRequestURI().getQuery();
                send(exchange, 200, "application/json", configDump.render(query != null
                        && query.contains("resources=true")));
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())) {
                send(exchange, 405, "application/json", problem("method", "POST a CloudEvent to /"));
                return;
            }
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, List<String>> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
            CloudEvent event;
            try {
                event = HttpMessageFactory.createReaderFromMultimap(headers, body).toEvent();
            } catch (CloudEventRWException | IllegalStateException e) {
                send(exchange, 400, "application/json", problem("event", "not a CloudEvent: " + e.getMessage()));
                return;
            }
            LocalBroker.Outcome outcome;
            try {
                outcome = broker.publish(event);
            } catch (BadEventException e) {
                progress.accept("refused " + event.getType() + ": " + e.getMessage());
                send(exchange, 400, "application/json", problem(e.field(), e.getMessage()));
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
        } catch (RuntimeException e) {
            progress.accept("error handling an event: " + e);
            try {
                send(exchange, 500, "application/json", problem("event", String.valueOf(e.getMessage())));
            } catch (IOException | RuntimeException ignored) {
                // the response was already started; the client sees a broken reply
            }
        }
    }

    private static String problem(String field, String problem) {
        try {
            return io.meshfed.model.ModelJson.mapper().writeValueAsString(Map.of("field", field, "problem", problem));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
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
