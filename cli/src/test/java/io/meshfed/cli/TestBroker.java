package io.meshfed.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A broker on a free local port for CLI tests: every POST is parsed back into a CloudEvent with the official
 * SDK and recorded (with its raw headers), and answered by the test's responder — a reply event written by the
 * SDK in binary or structured mode, or a bare status with a body.
 */
final class TestBroker implements AutoCloseable {

    /** One recorded request: the event as the SDK reads it and the raw HTTP headers. */
    record Received(CloudEvent event, Map<String, List<String>> headers) {
    }

    /** An HTTP answer. */
    record Answer(int status, Map<String, String> headers, byte[] body) {
        static Answer binary(CloudEvent reply) {
            Map<String, String> headers = new LinkedHashMap<>();
            byte[][] body = {new byte[0]};
            HttpMessageFactory.createWriter(headers::put, bytes -> body[0] = bytes == null ? new byte[0] : bytes)
                    .writeBinary(reply);
            return new Answer(200, headers, body[0]);
        }

        static Answer structured(CloudEvent reply) {
            Map<String, String> headers = new LinkedHashMap<>();
            byte[][] body = {new byte[0]};
            HttpMessageFactory.createWriter(headers::put, bytes -> body[0] = bytes)
                    .writeStructured(reply, JsonFormat.CONTENT_TYPE);
            return new Answer(200, headers, body[0]);
        }

        static Answer status(int status, String contentType, String body) {
            return new Answer(status, contentType == null ? Map.of() : Map.of("Content-Type", contentType),
                    body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private final HttpServer server;
    /** Released on close: a responder that waits on it never answers while the test runs. */
    final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private volatile Function<CloudEvent, Answer> responder = event -> Answer.status(204, null, "");

    TestBroker() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-broker");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    void answer(Function<CloudEvent, Answer> responder) {
        this.responder = responder;
    }

    List<Received> received() {
        return List.copyOf(received);
    }

    /** The one event received; fails when there were none or several. */
    CloudEvent only() {
        List<Received> all = received();
        if (all.size() != 1) {
            throw new AssertionError("expected exactly one event, got " + all.size());
        }
        return all.get(0).event();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v));
            MessageReader reader = HttpMessageFactory.createReaderFromMultimap(headers, body);
            CloudEvent event = reader.toEvent();
            received.add(new Received(event, headers));
            Answer answer = responder.apply(event);
            answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
            if (answer.body().length > 0) {
                exchange.getResponseBody().write(answer.body());
            }
        } catch (RuntimeException e) {
            exchange.sendResponseHeaders(599, -1);
            throw e;
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
