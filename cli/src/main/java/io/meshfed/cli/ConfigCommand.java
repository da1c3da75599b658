package io.meshfed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code meshfed config show --cluster X}: what the xDS bridge serves to a cluster's clients. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Config served by the xDS bridge.",
        subcommands = ConfigCommand.Show.class)
final class ConfigCommand {
    private static final String TYPE_PREFIX = "type.googleapis.com/";

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Show what every bridge client of a cluster (istiod, gateways) subscribes to, was sent and "
                    + "ACKed, and the resources its node group holds. With no client of the cluster connected (local "
                    + "mode has no istiod), show what the bridge serves the cluster's istiod and gateways.",
                "Reads GET <bridge>/debug/config_dump?cluster=NAME (docs/xds-bridge.md)."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed config show --cluster west",
                "  bin/meshfed config show --cluster west --resources -o json --bridge http://localhost:9090/"})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--cluster", required = true, paramLabel = "NAME", description = "The cluster.")
        String cluster;

        @Option(names = "--resources", description = "Include every resource's body (JSON).")
        boolean resources;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            URI uri = root.bridgeUri().resolve("/debug/config_dump?cluster="
                    + java.net.URLEncoder.encode(cluster, java.nio.charset.StandardCharsets.UTF_8)
                    + (resources ? "&resources=true" : ""));
            JsonNode dump = fetch(uri, root);
            List<JsonNode> clients = new ArrayList<>();
            TreeSet<String> connected = new TreeSet<>();
            for (JsonNode client : dump.path("clients")) {
                connected.add(client.path("cluster").asText("?"));
                if (cluster.equals(client.path("cluster").asText(null))) {
                    clients.add(client);
                }
            }
            JsonNode served = dump.path("served");
            if (clients.isEmpty() && served.isArray() && !served.isEmpty()) {
                return printServed(root, served);
            }
            if (clients.isEmpty()) {
                throw new CommandFailedException(ExitCodes.NOT_FOUND, "no client of cluster " + cluster
                        + " is connected to the bridge at " + root.bridgeUri() + " ("
                        + (connected.isEmpty() ? "no clients connected" : "connected clusters: "
                                + String.join(", ", connected))
                        + (served.isArray() ? "; the bridge holds no configuration for a cluster of that name" : "")
                        + ")");
            }
            Output output = root.output();
            if (!output.isTable()) {
                ObjectNode document = JsonNodeFactory.instance.objectNode();
                document.put("cluster", cluster);
                document.put("bridge", root.bridgeUri().toString());
                ArrayNode array = document.putArray("clients");
                clients.forEach(array::add);
                output.document(document);
                return ExitCodes.OK;
            }
            for (int i = 0; i < clients.size(); i++) {
                printClient(clients.get(i), output, i > 0);
            }
            return ExitCodes.OK;
        }

        /** No client connected: what the bridge would serve, per node group (istiod's, the gateways'). */
        private int printServed(MeshfedCommand root, JsonNode served) {
            Output output = root.output();
            if (!output.isTable()) {
                ObjectNode document = JsonNodeFactory.instance.objectNode();
                document.put("cluster", cluster);
                document.put("bridge", root.bridgeUri().toString());
                document.putArray("clients");
                document.set("served", served);
                output.document(document);
                return ExitCodes.OK;
            }
            output.line("no client of cluster " + cluster + " is connected to the bridge at " + root.bridgeUri()
                    + "; what it serves them:");
            List<List<String>> rows = new ArrayList<>();
            List<String> bodies = new ArrayList<>();
            for (JsonNode group : served) {
                for (JsonNode type : group.path("types")) {
                    String typeName = shortType(type.path("typeUrl").asText());
                    for (JsonNode resource : type.path("resources")) {
                        rows.add(List.of(group.path("kind").asText(), typeName, resource.path("name").asText(),
                                Output.scalar(resource.get("version"))));
                        if (resource.hasNonNull("json")) {
                            bodies.add("--- " + typeName + " " + resource.path("name").asText() + "\n"
                                    + pretty(resource.get("json")));
                        }
                    }
                }
            }
            output.out().print(Output.table(List.of("for", "type", "name", "version"), rows));
            bodies.forEach(body -> output.out().print("\n" + body + "\n"));
            output.out().flush();
            return ExitCodes.OK;
        }

        private void printClient(JsonNode client, Output output, boolean separate) {
            if (separate) {
                output.line("");
            }
            output.line("client stream=" + client.path("stream").asText() + " protocol=" + client.path("protocol").asText()
                    + " group=" + client.path("group").asText() + " connected=" + client.path("connectedAt").asText());
            output.line("node " + client.path("node").asText());
            List<List<String>> typeRows = new ArrayList<>();
            List<List<String>> resourceRows = new ArrayList<>();
            List<String> bodies = new ArrayList<>();
            for (JsonNode type : client.path("types")) {
                String typeName = shortType(type.path("typeUrl").asText());
                JsonNode nack = type.path("lastNack");
                typeRows.add(List.of(typeName,
                        type.path("wildcard").asBoolean() ? "*" : type.path("subscribedNames").asText(),
                        Output.scalar(type.get("sentVersion")), Output.scalar(type.get("ackedVersion")),
                        type.path("sentResources").asText(), Integer.toString(type.path("resources").size()),
                        nack.isObject() ? nack.path("version").asText() + ": " + nack.path("error").asText() : ""));
                for (JsonNode resource : type.path("resources")) {
                    resourceRows.add(List.of(typeName, resource.path("name").asText(),
                            Output.scalar(resource.get("version"))));
                    if (resource.hasNonNull("json")) {
                        bodies.add("--- " + typeName + " " + resource.path("name").asText() + "\n"
                                + pretty(resource.get("json")));
                    }
                }
            }
            output.out().print(Output.table(List.of("type", "subscribed", "sent-version", "acked-version", "sent",
                    "held", "last-nack"), typeRows));
            if (!resourceRows.isEmpty()) {
                output.out().print("\n" + Output.table(List.of("type", "name", "version"), resourceRows));
            }
            bodies.forEach(body -> output.out().print("\n" + body + "\n"));
            output.out().flush();
        }
    }

    /** {@code type.googleapis.com/istio.networking.v1alpha3.ServiceEntry} is shown without the prefix. */
    static String shortType(String typeUrl) {
        return typeUrl.startsWith(TYPE_PREFIX) ? typeUrl.substring(TYPE_PREFIX.length()) : typeUrl;
    }

    /** The bridge prints each resource body as a JSON string; shown indented. */
    private static String pretty(JsonNode json) {
        try {
            JsonNode parsed = json.isTextual() ? Output.JSON.readTree(json.asText()) : json;
            return Output.JSON.writeValueAsString(parsed);
        } catch (IOException e) {
            return json.asText();
        }
    }

    static JsonNode fetch(URI uri, MeshfedCommand root) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(root.timeout())
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(root.timeout()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "no answer from " + uri + " within "
                    + root.timeout().toSeconds() + " s (--timeout)", e);
        } catch (ConnectException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot connect to the xDS bridge at " + uri
                    + " (--bridge or MESHFED_BRIDGE)", e);
        } catch (IOException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "reading " + uri + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "interrupted while reading " + uri, e);
        }
        if (response.statusCode() != 200) {
            throw new CommandFailedException(response.statusCode() >= 500 ? ExitCodes.REMOTE_FAILURE : ExitCodes.REFUSED,
                    uri + " answered " + response.statusCode() + ": " + Replies.describeError(response.body()));
        }
        try {
            JsonNode dump = Output.JSON.readTree(response.body());
            if (dump == null || !dump.path("clients").isArray()) {
                throw new CommandFailedException(ExitCodes.REMOTE_FAILURE, uri
                        + " is not the xDS bridge's config dump (no \"clients\" list)");
            }
            return dump;
        } catch (IOException e) {
            throw new CommandFailedException(ExitCodes.REMOTE_FAILURE, uri + " did not answer JSON: " + e.getMessage(), e);
        }
    }
}
