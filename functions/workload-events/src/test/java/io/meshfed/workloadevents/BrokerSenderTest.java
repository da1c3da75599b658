package io.meshfed.workloadevents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventFailure;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Posting to a Broker stand-in: binary mode, this function's current token, refusals turned into 503s. */
class BrokerSenderTest {
    @TempDir
    Path dir;

    @Test
    void overTlsTheBrokerIsTrustedOnlyThroughTheConfiguredCa() throws Exception {
        io.meshfed.testsupport.TestTls tls = io.meshfed.testsupport.TestTls.create();
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(tls.keystore())) {
            keys.load(in, io.meshfed.testsupport.TestTls.PASSWORD.toCharArray());
        }
        javax.net.ssl.KeyManagerFactory km = javax.net.ssl.KeyManagerFactory.getInstance(
                javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        km.init(keys, io.meshfed.testsupport.TestTls.PASSWORD.toCharArray());
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(km.getKeyManagers(), null, null);
        com.sun.net.httpserver.HttpsServer broker = com.sun.net.httpserver.HttpsServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        broker.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(context));
        broker.createContext("/", exchange -> {
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
        });
        broker.start();
        try {
            URI url = URI.create("https://localhost:" + broker.getAddress().getPort() + "/meshfed/meshfed");
            Path token = Files.writeString(dir.resolve("token"), "t");
            Path ca = Files.writeString(dir.resolve("ca.crt"), tls.caPem());
            var sync = CloudEventBuilder.v1().withId("workload/east/1").withType("io.meshfed.service.export.sync")
                    .withSource(URI.create(WorkloadEventGate.SOURCE)).withSubject("east").build();
            new BrokerSender(url, token, ca, Duration.ofSeconds(5)).send(sync);
            EventFailure untrusted = assertThrows(EventFailure.class,
                    () -> new BrokerSender(url, token, null, Duration.ofSeconds(5)).send(sync));
            assertEquals(EventFailure.Kind.UNAVAILABLE, untrusted.kind(), "the JVM's CAs do not know Knative's");
        } finally {
            broker.stop(0);
        }
    }

    @Test
    void aSyncCarriesItsTraceAsTheExtensionAndTheHeadersATracingBrokerReads() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer broker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        broker.createContext("/", exchange -> {
            var h = exchange.getRequestHeaders();
            seen.add(h.getFirst("traceparent") + " " + h.getFirst("tracestate") + " " + h.getFirst("ce-traceparent")
                    + " " + h.getFirst("ce-tracestate"));
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
        });
        broker.start();
        try {
            BrokerSender sender = new BrokerSender(URI.create("http://127.0.0.1:" + broker.getAddress().getPort()
                    + "/meshfed/meshfed"), null, null, Duration.ofSeconds(5));
            String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            sender.send(CloudEventBuilder.v1().withId("workload/east/2").withType("io.meshfed.service.export.sync")
                    .withSource(URI.create(WorkloadEventGate.SOURCE)).withSubject("east")
                    .withExtension("traceparent", traceparent).withExtension("tracestate", "k=v").build());
            sender.send(CloudEventBuilder.v1().withId("workload/east/3").withType("io.meshfed.service.export.sync")
                    .withSource(URI.create(WorkloadEventGate.SOURCE)).withSubject("east").build());
            assertEquals(List.of(traceparent + " k=v " + traceparent + " k=v", "null null null null"), seen);
        } finally {
            broker.stop(0);
        }
    }

    @Test
    void postsInBinaryModeWithTheTokenReadForEachPostAndReportsARefusal() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicInteger status = new AtomicInteger(202);
        HttpServer broker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        broker.createContext("/", exchange -> {
            seen.add(exchange.getRequestHeaders().getFirst("Authorization") + " " + exchange.getRequestHeaders()
                    .getFirst("ce-type") + " " + exchange.getRequestHeaders().getFirst("ce-subject"));
            exchange.sendResponseHeaders(status.get(), -1);
            exchange.close();
        });
        broker.start();
        try {
            Path token = Files.writeString(dir.resolve("token"), "first\n");
            BrokerSender sender = new BrokerSender(URI.create("http://127.0.0.1:" + broker.getAddress().getPort()
                    + "/meshfed/meshfed"), token, null, Duration.ofSeconds(5));
            var sync = CloudEventBuilder.v1().withId("workload/east/1").withType("io.meshfed.service.export.sync")
                    .withSource(URI.create(WorkloadEventGate.SOURCE)).withSubject("east").build();
            sender.send(sync);
            Files.writeString(token, "rotated");
            sender.send(sync);
            assertEquals(List.of("Bearer first io.meshfed.service.export.sync east",
                    "Bearer rotated io.meshfed.service.export.sync east"), seen);

            status.set(403);
            EventFailure refused = assertThrows(EventFailure.class, () -> sender.send(sync));
            assertEquals(EventFailure.Kind.UNAVAILABLE, refused.kind());
        } finally {
            broker.stop(0);
        }
    }
}
