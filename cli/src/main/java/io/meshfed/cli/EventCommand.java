package io.meshfed.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code meshfed event send FILE [URL]}: any CloudEvent, written as a small JSON file, sent in binary mode; prints the
 * raw answer (status line, {@code ce-*} and content headers, body) for people debugging an endpoint. The typed
 * commands ({@code cluster register}, {@code export sync}) are the ones that read the answer.
 */
@Command(name = "event", mixinStandardHelpOptions = true, description = "Send any CloudEvent and show the raw answer.",
        subcommands = EventCommand.Send.class)
final class EventCommand {

    /** The fields an event file may have; anything else is refused. */
    static final Set<String> FIELDS = Set.of("type", "subject", "id", "source", "data", "datacontenttype",
            "extensions");

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = {"Send the event in FILE in binary mode and print the answer's status line, its ce- and",
                "content headers, then its body.",
                "FILE is JSON: {\"type\": ..., \"subject\"?: ..., \"id\"?: ..., \"source\"?: ..., "
                        + "\"extensions\"?: {NAME: VALUE}, \"data\"?: <any JSON>} ('-' reads stdin). "
                        + "id defaults to a random UUID, source to meshfed/cli."},
            footerHeading = "%nExamples (local mode running):%n",
            footer = {"  bin/meshfed event send examples/requests/register-east.json",
                "  bin/meshfed event send examples/requests/deregister-east.json http://localhost:8080/",
                "  bin/send-event examples/requests/register-bad.json   # the same through the wrapper"})
    static final class Send implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "FILE", description = "The event as JSON.")
        Path file;

        @Parameters(index = "1", arity = "0..1", paramLabel = "URL",
                description = "Where to POST it (default: --broker, env MESHFED_BROKER, http://localhost:8080/).")
        URI url;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            CloudEvent event = read(root);
            URI target = url != null ? url : root.brokerUri();
            Map<String, String> headers = new LinkedHashMap<>();
            byte[][] body = {new byte[0]};
            HttpMessageFactory.createWriter(headers::put, bytes -> body[0] = bytes == null ? new byte[0] : bytes)
                    .writeBinary(event);
            HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(root.timeout())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body[0]));
            headers.forEach(request::header);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(root.timeout()).build();
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (HttpTimeoutException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "no answer from " + target + " within "
                        + root.timeout().toSeconds() + " s (--timeout)", e);
            } catch (ConnectException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot connect to " + target
                        + ": is it running? (URL argument, --broker or MESHFED_BROKER)", e);
            } catch (IOException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "sending to " + target + " failed: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "interrupted while sending to " + target, e);
            }
            print(root.environment.out(), response);
            int status = response.statusCode();
            return status < 300 ? ExitCodes.OK : status < 500 ? ExitCodes.REFUSED : ExitCodes.REMOTE_FAILURE;
        }

        private CloudEvent read(MeshfedCommand root) {
            JsonNode json;
            try {
                byte[] bytes = "-".equals(file.toString()) ? root.environment.in().readAllBytes()
                        : Files.readAllBytes(file);
                json = Output.JSON.readTree(bytes);
            } catch (JsonProcessingException e) {
                throw ClusterCommand.usage(file + " is not valid JSON: " + e.getOriginalMessage()
                        + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
            } catch (IOException e) {
                throw ClusterCommand.usage("cannot read " + file + ": " + e.getMessage());
            }
            if (json == null || !json.isObject()) {
                throw ClusterCommand.usage(file + ": expected a JSON object with at least \"type\"");
            }
            List<String> unknown = new ArrayList<>();
            json.fieldNames().forEachRemaining(name -> {
                if (!FIELDS.contains(name)) {
                    unknown.add(name);
                }
            });
            if (!unknown.isEmpty()) {
                throw ClusterCommand.usage(file + ": " + unknown + " not known (known: " + FIELDS.stream().sorted()
                        .toList() + "; put extension attributes under \"extensions\")");
            }
            String type = text(json, "type", true);
            CloudEventBuilder builder = MeshfedCommand.newEvent(type, text(json, "subject", false));
            String id = text(json, "id", false);
            if (id != null) {
                builder.withId(id);
            }
            String source = text(json, "source", false);
            if (source != null) {
                builder.withSource(URI.create(source));
            }
            JsonNode extensions = json.path("extensions");
            if (!extensions.isMissingNode()) {
                if (!extensions.isObject()) {
                    throw ClusterCommand.usage(file + ": \"extensions\" must be an object of NAME: VALUE");
                }
                for (var entry : extensions.properties()) {
                    String name = entry.getKey();
                    if (!name.matches("[a-z0-9]{1,20}")) {
                        throw ClusterCommand.usage(file + ": extension name '" + name
                                + "' must be 1-20 lower-case letters or digits (CloudEvents 1.0)");
                    }
                    if (!entry.getValue().isValueNode() || entry.getValue().isNull()) {
                        throw ClusterCommand.usage(file + ": extension " + name + " must be a string, number or boolean");
                    }
                    builder.withExtension(name, entry.getValue().asText());
                }
            }
            if (json.has("data")) {
                String contentType = text(json, "datacontenttype", false);
                JsonNode data = json.get("data");
                byte[] bytes = contentType != null && !contentType.toLowerCase(Locale.ROOT).contains("json")
                        && data.isTextual() ? data.asText().getBytes(StandardCharsets.UTF_8)
                        : data.toString().getBytes(StandardCharsets.UTF_8);
                builder.withData(contentType == null ? "application/json" : contentType, bytes);
            }
            return builder.build();
        }

        private String text(JsonNode json, String field, boolean required) {
            JsonNode value = json.get(field);
            if (value == null || value.isNull()) {
                if (required) {
                    throw ClusterCommand.usage(file + ": \"" + field + "\" is required");
                }
                return null;
            }
            if (!value.isTextual() || value.asText().isBlank()) {
                throw ClusterCommand.usage(file + ": \"" + field + "\" must be a non-empty string");
            }
            return value.asText();
        }
    }

    /**
     * The answer as curl -i would show it, minus transport headers: {@code HTTP/1.1 STATUS REASON}, the
     * {@code ce-*} headers and {@code content-type}, an empty line, then the body (with a final newline).
     */
    static void print(java.io.PrintWriter out, HttpResponse<byte[]> response) {
        out.println("HTTP/1.1 " + response.statusCode() + " " + reason(response.statusCode()));
        response.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("ce-") || lower.equals("content-type")) {
                values.forEach(value -> out.println(lower + ": " + value));
            }
        });
        out.println();
        String body = new String(response.body(), StandardCharsets.UTF_8);
        out.print(body);
        if (!body.isEmpty() && !body.endsWith("\n")) {
            out.println();
        }
        out.flush();
    }

    /** The standard reason phrase (java.net.http does not expose the one sent). */
    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Entity";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "";
        };
    }
}
