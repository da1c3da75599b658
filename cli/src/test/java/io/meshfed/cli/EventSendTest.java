package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.meshfed.model.EventTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshfed event send} (and so {@code bin/send-event}): the file becomes a binary-mode CloudEvent as the SDK
 * reads it back, and the answer is printed status line first, then its ce- and content headers, then the body.
 */
class EventSendTest {
    @TempDir
    Path dir;
    private TestBroker broker;
    private final Cli cli = new Cli();

    @BeforeEach
    void start() throws Exception {
        broker = new TestBroker();
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void sendsTheRepositoryExampleInBinaryModeAndPrintsStatusHeadersThenBody() throws Exception {
        broker.answer(event -> TestBroker.Answer.binary(ClusterRegistrationTest.reply(event,
                EventTypes.CLUSTER_REGISTERED, "east", "{\"cluster\":{\"name\":\"east\"},\"change\":\"created\"}")));

        Cli.Run run = cli.run("event", "send", "../examples/requests/register-east.json", broker.uri().toString());

        assertEquals(0, run.exitCode(), run.err());
        CloudEvent sent = broker.only();
        assertEquals(EventTypes.CLUSTER_REGISTRATION_REQUESTED, sent.getType());
        assertEquals("meshfed/cli", sent.getSource().toString());
        assertEquals("application/json", sent.getDataContentType());
        assertEquals("east", ClusterRegistrationTest.data(sent).path("name").asText());
        assertEquals("none", ClusterRegistrationTest.data(sent).path("apiAccess").asText());
        assertTrue(broker.received().get(0).headers().containsKey("ce-specversion"), "binary mode");

        List<String> lines = run.out().lines().toList();
        assertEquals("HTTP/1.1 200 OK", lines.get(0));
        int blank = lines.indexOf("");
        assertTrue(blank > 1, run.out());
        for (String header : lines.subList(1, blank)) {
            assertTrue(header.startsWith("ce-") || header.startsWith("content-type: "), header);
        }
        assertTrue(lines.subList(1, blank).contains("ce-type: " + EventTypes.CLUSTER_REGISTERED), run.out());
        assertTrue(lines.subList(1, blank).contains("ce-subject: east"), run.out());
        assertEquals("{\"cluster\":{\"name\":\"east\"},\"change\":\"created\"}", lines.get(blank + 1));
        assertEquals(blank + 2, lines.size(), "the body ends the output: " + run.out());
        assertTrue(run.out().endsWith("\n"));
    }

    @Test
    void subjectIdExtensionsAndAnErrorStatus() throws Exception {
        Path file = dir.resolve("event.json");
        Files.writeString(file, """
                {"type": "io.meshfed.service.export.sync", "subject": "west", "id": "fixed-1",
                 "extensions": {"meshfedtrace": "abc"}, "data": {"cluster": "west"}}""");
        broker.answer(event -> TestBroker.Answer.status(422, "application/json",
                "{\"field\":\"cluster\",\"message\":\"unknown cluster west\"}"));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "event", "send", file.toString());

        assertEquals(ExitCodes.REFUSED, run.exitCode());
        CloudEvent sent = broker.only();
        assertEquals("west", sent.getSubject());
        assertEquals("fixed-1", sent.getId());
        assertEquals("abc", sent.getExtension("meshfedtrace"));
        assertEquals("HTTP/1.1 422 Unprocessable Entity\ncontent-type: application/json\n\n"
                + "{\"field\":\"cluster\",\"message\":\"unknown cluster west\"}\n", run.out());
    }

    @Test
    void fromStdin() throws Exception {
        broker.answer(event -> TestBroker.Answer.status(204, null, ""));
        Cli.Run run = cli.runWithInput("{\"type\": \"io.meshfed.policy.changed\", \"data\": {\"kind\": \"TrafficPolicy\"}}",
                "event", "send", "-", broker.uri().toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("io.meshfed.policy.changed", broker.only().getType());
        assertEquals("TrafficPolicy", ClusterRegistrationTest.data(broker.only()).path("kind").asText());
        assertEquals("HTTP/1.1 204 No Content\n\n", run.out());
    }

    @Test
    void aBadFileIsRefusedAndNothingIsSent() throws Exception {
        Path noType = dir.resolve("no-type.json");
        Files.writeString(noType, "{\"data\": {}}");
        Path unknown = dir.resolve("unknown.json");
        Files.writeString(unknown, "{\"type\": \"x\", \"dataa\": {}}");
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"type\": ");

        Cli.Run a = cli.run("event", "send", noType.toString(), broker.uri().toString());
        Cli.Run b = cli.run("event", "send", unknown.toString(), broker.uri().toString());
        Cli.Run c = cli.run("event", "send", broken.toString(), broker.uri().toString());
        Cli.Run d = cli.run("event", "send", dir.resolve("missing.json").toString(), broker.uri().toString());

        assertEquals(ExitCodes.USAGE, a.exitCode());
        assertTrue(a.err().contains("\"type\" is required"), a.err());
        assertEquals(ExitCodes.USAGE, b.exitCode());
        assertTrue(b.err().contains("[dataa] not known"), b.err());
        assertEquals(ExitCodes.USAGE, c.exitCode());
        assertTrue(c.err().contains("is not valid JSON"), c.err());
        assertEquals(ExitCodes.USAGE, d.exitCode());
        assertTrue(d.err().contains("cannot read"), d.err());
        assertEquals(0, broker.received().size());
    }

    @Test
    void nothingListening() throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Cli.Run run = cli.run("event", "send", "../examples/requests/deregister-east.json",
                "http://127.0.0.1:" + port + "/");
        assertEquals(ExitCodes.UNREACHABLE, run.exitCode());
        assertTrue(run.err().startsWith("meshfed: cannot connect to http://127.0.0.1:" + port + "/"), run.err());
    }
}
