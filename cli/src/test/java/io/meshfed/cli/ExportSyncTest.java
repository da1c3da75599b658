package io.meshfed.cli;

import static io.meshfed.cli.ClusterRegistrationTest.data;
import static io.meshfed.cli.ClusterRegistrationTest.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code meshfed export sync} against a broker that answers like the export function (docs/export.md). */
class ExportSyncTest {
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

    private static CloudEvent exportReply(CloudEvent request, String type, String data) {
        return CloudEventBuilder.v1().withId(request.getId() + "/" + type.substring(EventTypes.PREFIX.length()))
                .withType(type).withSource(URI.create("meshfed/export")).withSubject(request.getSubject())
                .withData("application/json", data.getBytes(StandardCharsets.UTF_8)).build();
    }

    @Test
    void aChangedCatalogIsPrinted() throws Exception {
        broker.answer(request -> TestBroker.Answer.binary(exportReply(request, EventTypes.CATALOG_CHANGED,
                "{\"cluster\":\"east\",\"version\":4,\"contentHash\":\"sha256:9c1e\",\"removed\":false}")));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "export", "sync", "east");

        assertEquals(0, run.exitCode(), run.err());
        CloudEvent sent = broker.only();
        assertEquals(EventTypes.SERVICE_EXPORT_SYNC, sent.getType());
        assertEquals("east", sent.getSubject());
        assertEquals(json("{\"cluster\":\"east\"}"), data(sent));
        assertEquals("""
                io.meshfed.catalog.changed  subject=east
                FIELD        VALUE
                cluster      east
                version      4
                contentHash  sha256:9c1e
                removed      false
                """, run.out());
    }

    @Test
    void noContentMeansNothingChanged() {
        broker.answer(request -> TestBroker.Answer.status(204, null, ""));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "export", "sync", "east");
        Cli.Run yaml = cli.run("--broker", broker.uri().toString(), "-o", "yaml", "export", "sync", "east");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("nothing changed in east's exported services (HTTP 204, no reply event)\n", run.out());
        assertEquals(0, yaml.exitCode(), yaml.err());
        assertEquals("""
                status: no-reply
                httpStatus: 204
                id: %s
                type: io.meshfed.service.export.sync
                subject: east
                message: "nothing changed in east's exported services (HTTP 204, no reply event)"
                """.formatted(broker.received().get(1).event().getId()), yaml.out());
    }

    @Test
    void anExportFailureExitsOne() {
        broker.answer(request -> TestBroker.Answer.structured(exportReply(request, EventTypes.SERVICE_EXPORT_FAILED,
                "{\"cluster\":\"east\",\"reason\":\"server-error\",\"message\":\"https://east:6443 answered 503\","
                        + "\"catalogVersion\":2}")));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "export", "sync", "east");

        assertEquals(ExitCodes.REJECTED, run.exitCode());
        assertEquals("""
                io.meshfed.service.export.failed  subject=east
                FIELD           VALUE
                cluster         east
                reason          server-error
                message         https://east:6443 answered 503
                catalogVersion  2
                """, run.out());
    }

    @Test
    void anUnknownClusterIsRefused() {
        broker.answer(request -> TestBroker.Answer.status(422, "application/json",
                "{\"error\":\"unknown-cluster\",\"field\":\"subject\",\"message\":\"cluster 'nowhere' is not registered\"}"));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "export", "sync", "nowhere");

        assertEquals(ExitCodes.REFUSED, run.exitCode());
        assertEquals("meshfed: " + broker.uri() + " answered 422: unknown-cluster: subject cluster 'nowhere' is not "
                + "registered\n", run.err());
    }
}
