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
                    + "/meshfed/meshfed"), token, Duration.ofSeconds(5));
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
