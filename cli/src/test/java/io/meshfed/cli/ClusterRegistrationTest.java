package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.EventTypes;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshfed cluster register|deregister} against a broker that answers like the registration function. */
class ClusterRegistrationTest {
    private static final String CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

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

    static JsonNode json(String text) throws Exception {
        return Output.JSON.readTree(text);
    }

    static JsonNode data(CloudEvent event) throws Exception {
        return Output.JSON.readTree(event.getData().toBytes());
    }

    static CloudEvent reply(CloudEvent request, String type, String subject, String data) {
        CloudEventBuilder builder = CloudEventBuilder.v1()
                .withId(request.getId() + "/" + type.substring(EventTypes.PREFIX.length()))
                .withType(type).withSource(URI.create("meshfed/registration"))
                .withData("application/json", data.getBytes(StandardCharsets.UTF_8));
        return subject == null ? builder.build() : builder.withSubject(subject).build();
    }

    static final String REGISTERED = """
            {"cluster": {"name": "east", "network": "net-east",
                         "locality": {"region": "us-east1", "zone": "us-east1-b"},
                         "eastWestGateway": {"address": "34.120.10.1", "port": 15443},
                         "trustDomain": "east.meshfed.example",
                         "apiServer": {"url": "https://34.120.0.5:6443", "caData": "LS0t",
                                       "credentialsSecret": "meshfed-cluster-east-3f9a0c12de"}},
             "generation": 1}""";

    private String[] flags() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), CA_PEM);
        Path token = Files.writeString(dir.resolve("token"), "eyJhbGciOi.token\n");
        return new String[] {"--broker", broker.uri().toString(), "cluster", "register", "--name", "east",
            "--network", "net-east", "--region", "us-east1", "--zone", "us-east1-b", "--gateway", "34.120.10.1:15443",
            "--trust-domain", "east.meshfed.example", "--api-server", "https://34.120.0.5:6443",
            "--ca-file", ca.toString(), "--token-file", token.toString()};
    }

    @Test
    void registerFromFlagsSendsTheRequestInBinaryModeAndPrintsTheBinaryReplyAsATable() throws Exception {
        broker.answer(request -> TestBroker.Answer.binary(CloudEventBuilder.v1(
                reply(request, EventTypes.CLUSTER_REGISTERED, "east", REGISTERED))
                .withExtension("meshfedchange", "created").build()));

        Cli.Run run = cli.run(flags());

        assertEquals(0, run.exitCode(), run.err());
        TestBroker.Received received = broker.received().get(0);
        assertEquals(1, broker.received().size());
        assertEquals("1.0", received.headers().get("ce-specversion").get(0), "binary mode");
        CloudEvent sent = received.event();
        assertEquals(EventTypes.CLUSTER_REGISTRATION_REQUESTED, sent.getType());
        assertEquals(URI.create("meshfed/cli"), sent.getSource());
        assertEquals("east", sent.getSubject());
        assertEquals("application/json", sent.getDataContentType());
        assertEquals(json("""
                {"name": "east", "network": "net-east", "locality": {"region": "us-east1", "zone": "us-east1-b"},
                 "eastWestGateway": {"address": "34.120.10.1", "port": 15443},
                 "trustDomain": "east.meshfed.example",
                 "apiServer": {"url": "https://34.120.0.5:6443", "caData": %s},
                 "credentials": {"token": "eyJhbGciOi.token"}}""".formatted(Output.JSON.writeValueAsString(CA_PEM))),
                data(sent));
        assertEquals("""
                io.meshfed.cluster.registered  subject=east  meshfedchange=created
                FIELD                                VALUE
                cluster.name                         east
                cluster.network                      net-east
                cluster.locality.region              us-east1
                cluster.locality.zone                us-east1-b
                cluster.eastWestGateway.address      34.120.10.1
                cluster.eastWestGateway.port         15443
                cluster.trustDomain                  east.meshfed.example
                cluster.apiServer.url                https://34.120.0.5:6443
                cluster.apiServer.caData             LS0t
                cluster.apiServer.credentialsSecret  meshfed-cluster-east-3f9a0c12de
                generation                           1
                """, run.out());
        assertEquals("", run.err());
    }

    @Test
    void registerFromYamlFileReadsAStructuredReplyAndPrintsItAsYamlAndJson() throws Exception {
        Path file = Files.writeString(dir.resolve("west.yaml"), """
                name: west
                network: net-west
                locality: {region: eu-west1}
                eastWestGateway: {address: "[2001:db8::1]", port: 15443}
                trustDomain: west.meshfed.example
                apiAccess: none
                """);
        String registered = """
                {"cluster": {"name": "west", "network": "net-west", "locality": {"region": "eu-west1"},
                 "eastWestGateway": {"address": "[2001:db8::1]", "port": 15443},
                 "trustDomain": "west.meshfed.example"}, "generation": 2}""";
        broker.answer(request -> TestBroker.Answer.structured(CloudEventBuilder.v1(
                reply(request, EventTypes.CLUSTER_REGISTERED, "west", registered))
                .withExtension("meshfedchange", "updated").build()));

        Cli.Run yaml = cli.run("--broker", broker.uri().toString(), "-o", "yaml", "cluster", "register", "-f",
                file.toString());
        Cli.Run asJson = cli.run("cluster", "register", "-f", file.toString(), "--broker", broker.uri().toString(),
                "--output=json");

        assertEquals(0, yaml.exitCode(), yaml.err());
        assertEquals(0, asJson.exitCode(), asJson.err());
        assertEquals(2, broker.received().size());
        for (TestBroker.Received r : broker.received()) {
            assertEquals(json("""
                    {"name": "west", "network": "net-west", "locality": {"region": "eu-west1"},
                     "eastWestGateway": {"address": "[2001:db8::1]", "port": 15443},
                     "trustDomain": "west.meshfed.example", "apiAccess": "none"}"""), data(r.event()));
            assertEquals("west", r.event().getSubject());
        }
        CloudEvent second = broker.received().get(1).event();
        JsonNode printed = json(asJson.out());
        assertEquals(EventTypes.CLUSTER_REGISTERED, printed.get("type").asText());
        assertEquals("west", printed.get("subject").asText());
        assertEquals(second.getId() + "/cluster.registered", printed.get("id").asText());
        assertEquals("meshfed/registration", printed.get("source").asText());
        assertEquals("updated", printed.get("extensions").get("meshfedchange").asText());
        assertEquals(json(registered), printed.get("data"));
        JsonNode fromYaml = Output.YAML.readTree(yaml.out());
        assertEquals(json(registered), fromYaml.get("data"));
        assertTrue(yaml.out().startsWith("type: io.meshfed.cluster.registered\nsubject: west\n"), yaml.out());
    }

    @Test
    void aRejectionPrintsEveryReasonAndExitsOne() throws Exception {
        broker.answer(request -> TestBroker.Answer.binary(reply(request, EventTypes.CLUSTER_REGISTRATION_REJECTED,
                "east", """
                {"cluster": "east", "reasons": [
                  {"code": "INVALID_FIELD", "field": "eastWestGateway.port", "message": "must be a port between 1 and 65535, got 70000"},
                  {"code": "API_SERVER_UNREACHABLE", "field": "apiServer.url", "message": "connection refused"}]}""")));

        Cli.Run run = cli.run(flags());

        assertEquals(ExitCodes.REJECTED, run.exitCode());
        assertEquals("""
                io.meshfed.cluster.registration.rejected  subject=east
                FIELD    VALUE
                cluster  east

                reasons:
                CODE                    FIELD                 MESSAGE
                INVALID_FIELD           eastWestGateway.port  must be a port between 1 and 65535, got 70000
                API_SERVER_UNREACHABLE  apiServer.url         connection refused
                """, run.out());
    }

    @Test
    void a400NamingAFieldIsPrintedAndExitsThree() {
        broker.answer(request -> TestBroker.Answer.status(400, "application/json",
                "{\"field\":\"data.eastWestGateway.port\",\"message\":\"expected an integer, got 'x'\"}"));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "cluster", "deregister", "east");

        assertEquals(ExitCodes.REFUSED, run.exitCode());
        assertEquals("", run.out());
        assertEquals("meshfed: " + broker.uri() + " answered 400: data.eastWestGateway.port expected an integer, "
                + "got 'x'\n", run.err());
    }

    @Test
    void serverErrorsExitFourWithTheBody() {
        broker.answer(request -> TestBroker.Answer.status(500, "text/plain", "management cluster unavailable"));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "cluster", "deregister", "east");

        assertEquals(ExitCodes.REMOTE_FAILURE, run.exitCode());
        assertEquals("meshfed: " + broker.uri() + " answered 500: management cluster unavailable\n", run.err());
    }

    @Test
    void registerFromStdin() throws Exception {
        broker.answer(request -> TestBroker.Answer.status(202, null, ""));

        Cli.Run run = cli.runWithInput("{\"name\": \"north\", \"network\": \"net-north\", \"apiAccess\": \"none\"}",
                "--broker", broker.uri().toString(), "cluster", "register", "-f", "-");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(json("{\"name\": \"north\", \"network\": \"net-north\", \"apiAccess\": \"none\"}"),
                data(broker.only()));
        assertEquals("north", broker.only().getSubject());
    }

    @Test
    void noAnswerWithinTheTimeoutExitsFive() {
        broker.answer(request -> {
            try {
                broker.closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return TestBroker.Answer.status(204, null, "");
        });

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "--timeout", "1", "cluster", "deregister", "east");

        assertEquals(ExitCodes.UNREACHABLE, run.exitCode());
        assertEquals("meshfed: no answer from " + broker.uri() + " within 1 s (--timeout)\n", run.err());
    }

    @Test
    void aReplyThatIsNoCloudEventExitsFour() {
        broker.answer(request -> new TestBroker.Answer(200, java.util.Map.of("ce-specversion", "0.1", "ce-id", "x"),
                "{}".getBytes(StandardCharsets.UTF_8)));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "cluster", "deregister", "east");

        assertEquals(ExitCodes.REMOTE_FAILURE, run.exitCode());
        assertTrue(run.err().startsWith("meshfed: " + broker.uri() + " answered 200 with an event that cannot be read: "),
                run.err());
    }

    @Test
    void nonJsonDataIsPrintedAsText() {
        broker.answer(request -> TestBroker.Answer.binary(CloudEventBuilder.v1().withId("r1")
                .withType("io.meshfed.example.note").withSource(URI.create("meshfed/test"))
                .withData("text/plain", "plain words".getBytes(StandardCharsets.UTF_8)).build()));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "cluster", "deregister", "east");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("""
                io.meshfed.example.note
                FIELD  VALUE
                data   plain words
                """, run.out());
    }

    @Test
    void anEmpty404SaysNothingHandlesTheType() {
        broker.answer(request -> TestBroker.Answer.status(404, null, ""));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "export", "sync", "east");

        assertEquals(ExitCodes.REFUSED, run.exitCode());
        assertEquals("meshfed: " + broker.uri() + " answered 404: nothing there handles io.meshfed.service.export.sync; "
                + "point --broker at the broker or at the function for this event\n", run.err());
    }

    @Test
    void aKnativeBroker202IsAcceptedWithWhereToLook() {
        broker.answer(request -> TestBroker.Answer.status(202, null, ""));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "cluster", "deregister", "east");
        Cli.Run asJson = cli.run("--broker", broker.uri().toString(), "-o", "json", "cluster", "deregister", "east");

        assertEquals(0, run.exitCode(), run.err());
        String id = broker.received().get(0).event().getId();
        assertEquals("accepted: " + broker.uri() + " accepted event " + id + " (HTTP 202); a broker does not return "
                + "the reply. Check with 'meshfed cluster list' (or 'kubectl get meshclusters -n meshfed'), or send "
                + "with --wait.\n", run.out());
        assertEquals(0, asJson.exitCode(), asJson.err());
        JsonNode accepted = parse(asJson.out());
        assertEquals("accepted", accepted.get("status").asText());
        assertEquals(202, accepted.get("httpStatus").asInt());
        assertEquals(broker.received().get(1).event().getId(), accepted.get("id").asText());
    }

    private static JsonNode parse(String text) {
        try {
            return Output.JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(text, e);
        }
    }

    @Test
    void deregisterSendsTheNameAndPrintsTheReply() throws Exception {
        broker.answer(request -> TestBroker.Answer.binary(reply(request, EventTypes.CLUSTER_DEREGISTERED, "east",
                "{\"cluster\":\"east\",\"existed\":true}")));

        Cli.Run run = cli.run("--broker", broker.uri().toString(), "cluster", "deregister", "east");

        assertEquals(0, run.exitCode(), run.err());
        CloudEvent sent = broker.only();
        assertEquals(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, sent.getType());
        assertEquals("east", sent.getSubject());
        assertEquals(json("{\"name\":\"east\"}"), data(sent));
        assertEquals("""
                io.meshfed.cluster.deregistered  subject=east
                FIELD    VALUE
                cluster  east
                existed  true
                """, run.out());
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsSent() throws Exception {
        Path unknownField = Files.writeString(dir.resolve("bad.json"), "{\"name\": \"east\", \"netwrk\": \"x\"}");
        Path wrongType = Files.writeString(dir.resolve("bad.yaml"), "name: east\neastWestGateway: {port: many}\n");
        Path token = Files.writeString(dir.resolve("token"), "t");
        String b = broker.uri().toString();

        Cli.Run unknown = cli.run("--broker", b, "cluster", "register", "-f", unknownField.toString());
        Cli.Run type = cli.run("--broker", b, "cluster", "register", "-f", wrongType.toString());
        Cli.Run both = cli.run("--broker", b, "cluster", "register", "-f", wrongType.toString(), "--name", "x");
        Cli.Run noApi = cli.run("--broker", b, "cluster", "register", "--name", "x", "--no-api-access",
                "--token-file", token.toString());
        Cli.Run missingFile = cli.run("--broker", b, "cluster", "register", "-f", dir.resolve("nope.yaml").toString());
        Cli.Run badPort = cli.run("--broker", b, "cluster", "register", "--name", "x", "--gateway", "gw:https");
        Cli.Run nothing = cli.run("--broker", b, "cluster", "register");
        Cli.Run badFormat = cli.run("--broker", b, "-o", "xml", "cluster", "deregister", "x");

        for (Cli.Run run : new Cli.Run[] {unknown, type, both, noApi, missingFile, badPort, nothing, badFormat}) {
            assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
            assertEquals("", run.out());
        }
        assertTrue(unknown.err().startsWith("meshfed: " + unknownField + ": netwrk: is not a known field (known: "),
                unknown.err());
        assertEquals("meshfed: " + wrongType + ": eastWestGateway.port: expected a number, got 'many'\n", type.err());
        assertEquals("meshfed: -f cannot be combined with --name; put them in the file\n", both.err());
        assertEquals("meshfed: --no-api-access cannot be combined with --token-file\n", noApi.err());
        assertTrue(missingFile.err().startsWith("meshfed: cannot read "), missingFile.err());
        assertEquals("meshfed: --gateway gw:https: port 'https' is not a number\n", badPort.err());
        assertTrue(badFormat.err().contains("xml"), badFormat.err());
        assertEquals(0, broker.received().size());
    }

    @Test
    void gatewayForms() {
        assertEquals(new RegistrationData.Gateway("gw.example", 15443), ClusterCommand.Register.gateway("gw.example:15443"));
        assertEquals(new RegistrationData.Gateway("gw.example", null), ClusterCommand.Register.gateway("gw.example"));
        assertEquals(new RegistrationData.Gateway("2001:db8::1", 15443), ClusterCommand.Register.gateway("[2001:db8::1]:15443"));
        assertEquals(new RegistrationData.Gateway("2001:db8::1", null), ClusterCommand.Register.gateway("2001:db8::1"));
    }

    @Test
    void nothingListeningExitsFiveAndTheBrokerComesFromTheEnvironment() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Cli fromEnv = new Cli(java.util.Map.of("MESHFED_BROKER", "http://127.0.0.1:" + port + "/"), () -> null);

        Cli.Run run = fromEnv.run("cluster", "deregister", "east");

        assertEquals(ExitCodes.UNREACHABLE, run.exitCode());
        assertEquals("meshfed: cannot connect to http://127.0.0.1:" + port + "/: is the broker running? (--broker or "
                + "MESHFED_BROKER)\n", run.err());
    }
}
