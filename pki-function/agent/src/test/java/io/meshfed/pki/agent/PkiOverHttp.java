package io.meshfed.pki.agent;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.pki.testing.TestPki;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The real signing service ({@link TestPki}) behind a loopback HTTP server that speaks CloudEvents as the PKI
 * function's Knative Service does (binary mode in, reply event out), for the agent's Quarkus app to call. It answers
 * 503 without an event until a test {@link #open}s it, so a test sees the agent before its first certificate.
 */
public final class PkiOverHttp implements QuarkusTestResourceLifecycleManager {
    static final String CLUSTER = "east";
    static final String TRUST_DOMAIN = "east.example.org";
    private static final CountDownLatch OPEN = new CountDownLatch(1);
    /** Requests answered 503 so far. */
    static final AtomicInteger UNAVAILABLE_ANSWERS = new AtomicInteger();
    static volatile TestPki pki;
    static Path directory;
    private HttpServer server;

    static void open() {
        OPEN.countDown();
    }

    @Override
    public Map<String, String> start() {
        try {
            pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
            pki.clusters.register(CLUSTER, TRUST_DOMAIN);
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", this::answer);
            server.start();
            Path state = Files.createTempDirectory("meshfed-agent-test");
            directory = state.resolve("cacerts");
            Path token = state.resolve("token");
            Files.writeString(token, TestPki.AGENT_TOKEN);
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
            return Map.ofEntries(Map.entry("meshfed.agent.cluster", CLUSTER),
                    Map.entry("meshfed.agent.trust-domain", TRUST_DOMAIN),
                    Map.entry("meshfed.agent.submit-url", url.toString()),
                    Map.entry("meshfed.agent.output", "file"),
                    Map.entry("meshfed.agent.directory", directory.toString()),
                    Map.entry("meshfed.agent.token-file", token.toString()),
                    Map.entry("meshfed.agent.backoff-initial", "0.2S"),
                    Map.entry("meshfed.agent.backoff-max", "1S"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (OPEN.getCount() > 0) {
                UNAVAILABLE_ANSWERS.incrementAndGet();
                exchange.sendResponseHeaders(503, -1);
                return;
            }
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, v.get(0)));
            CloudEvent request = HttpMessageFactory.createReader(headers, body).toEvent();
            CsrSubmitted submitted = ModelJson.mapper().readValue(request.getData().toBytes(), CsrSubmitted.class);
            SigningOutcome outcome = pki.service.handle(submitted, request.getSource().toString());
            Object data = outcome instanceof SigningOutcome.Signed s ? s.data()
                    : ((SigningOutcome.Rejected) outcome).data();
            CloudEvent reply = CloudEventBuilder.v1().withId(request.getId() + "/reply")
                    .withType(outcome instanceof SigningOutcome.Signed ? EventTypes.CSR_SIGNED : EventTypes.CSR_REJECTED)
                    .withSource(URI.create("meshfed/pki")).withSubject(submitted.cluster())
                    .withDataContentType("application/json").withData(ModelJson.mapper().writeValueAsBytes(data))
                    .build();
            byte[][] replyBody = new byte[1][];
            HttpMessageFactory.createWriter(exchange.getResponseHeaders()::add, b -> replyBody[0] = b)
                    .writeBinary(reply);
            exchange.sendResponseHeaders(200, replyBody[0].length);
            exchange.getResponseBody().write(replyBody[0]);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
