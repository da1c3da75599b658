package io.meshfed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.meshfed.cli.BrokerClient.Accepted;
import io.meshfed.cli.BrokerClient.Delivery;
import io.meshfed.cli.BrokerClient.NoReply;
import io.meshfed.cli.BrokerClient.Refused;
import io.meshfed.cli.BrokerClient.Replied;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Prints what came back from a delivery and decides the exit code: a reply event as a table or document
 * ({@code *.rejected} and {@code *.failed} replies exit {@link ExitCodes#REJECTED}), 202 as "accepted" with
 * where to look for the result, a 2xx without an event as {@code noReply}, an error status as a failure
 * naming the field the receiver complained about.
 */
final class Replies {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** What a command says about its delivery besides the reply itself. */
    record Hints(String accepted, String noReply) {
    }

    private Replies() {
    }

    static int print(CloudEvent sent, Delivery delivery, URI broker, Output output, Hints hints) {
        if (delivery instanceof Replied replied) {
            return printReply(replied.event(), output);
        }
        if (delivery instanceof Accepted accepted) {
            String text = broker + " accepted event " + sent.getId() + " (HTTP " + accepted.status()
                    + "); a broker does not return the reply. " + hints.accepted();
            if (output.isTable()) {
                output.line("accepted: " + text);
            } else {
                output.document(status("accepted", accepted.status(), sent, text));
            }
            return ExitCodes.OK;
        }
        if (delivery instanceof NoReply noReply) {
            String text = hints.noReply() + " (HTTP " + noReply.status() + ", no reply event)";
            if (output.isTable()) {
                output.line(text);
            } else {
                output.document(status("no-reply", noReply.status(), sent, text));
            }
            return ExitCodes.OK;
        }
        Refused refused = (Refused) delivery;
        if (refused.status() == 404 && refused.body().isBlank()) {
            throw new CommandFailedException(ExitCodes.REFUSED, broker + " answered 404: nothing there handles "
                    + sent.getType() + "; point --broker at the broker or at the function for this event");
        }
        throw new CommandFailedException(refused.status() >= 500 ? ExitCodes.REMOTE_FAILURE : ExitCodes.REFUSED,
                broker + " answered " + refused.status() + ": " + describeError(refused.body()));
    }

    static int printReply(CloudEvent reply, Output output) {
        ObjectNode document = document(reply);
        if (output.isTable()) {
            StringBuilder head = new StringBuilder(reply.getType());
            if (reply.getSubject() != null) {
                head.append("  subject=").append(reply.getSubject());
            }
            for (String name : reply.getExtensionNames()) {
                head.append("  ").append(name).append('=').append(reply.getExtension(name));
            }
            output.line(head.toString());
            String data = Output.flatTable(document.get("data"));
            if (!data.isEmpty()) {
                output.out().print(data);
                output.out().flush();
            }
        } else {
            output.document(document);
        }
        return isRefusal(reply.getType()) ? ExitCodes.REJECTED : ExitCodes.OK;
    }

    /** {@code *.rejected} (registration, CSR) and {@code *.failed} (export) are answers that say no. */
    static boolean isRefusal(String type) {
        return type.endsWith(".rejected") || type.endsWith(".failed");
    }

    /** The event as a document: id, type, source, subject, time, extensions, data (parsed when JSON). */
    static ObjectNode document(CloudEvent event) {
        ObjectNode node = NODES.objectNode();
        node.put("type", event.getType());
        if (event.getSubject() != null) {
            node.put("subject", event.getSubject());
        }
        node.put("id", event.getId());
        node.put("source", event.getSource().toString());
        if (event.getTime() != null) {
            node.put("time", event.getTime().toString());
        }
        if (!event.getExtensionNames().isEmpty()) {
            ObjectNode extensions = node.putObject("extensions");
            for (String name : event.getExtensionNames()) {
                extensions.put(name, String.valueOf(event.getExtension(name)));
            }
        }
        if (event.getData() != null) {
            node.set("data", data(event));
        }
        return node;
    }

    private static JsonNode data(CloudEvent event) {
        byte[] bytes = event.getData().toBytes();
        String type = event.getDataContentType();
        if (type == null || type.toLowerCase(Locale.ROOT).contains("json")) {
            try {
                return Output.JSON.readTree(bytes);
            } catch (IOException e) {
                // not JSON after all: shown as text
            }
        }
        return NODES.textNode(new String(bytes, StandardCharsets.UTF_8));
    }

    private static ObjectNode status(String status, int httpStatus, CloudEvent sent, String message) {
        ObjectNode node = NODES.objectNode();
        node.put("status", status);
        node.put("httpStatus", httpStatus);
        node.put("id", sent.getId());
        node.put("type", sent.getType());
        if (sent.getSubject() != null) {
            node.put("subject", sent.getSubject());
        }
        node.put("message", message);
        return node;
    }

    /**
     * An error body for people: meshfed's entry points answer {@code {"field", "message", "error"}}
     * (docs/events.md; a {@code "problem"} in place of {@code "message"} is read too); anything else is shown as text.
     */
    static String describeError(String body) {
        String trimmed = body == null ? "" : body.strip();
        if (trimmed.isEmpty()) {
            return "(empty body)";
        }
        try {
            JsonNode json = Output.JSON.readTree(trimmed);
            if (json != null && json.isObject()) {
                String field = json.path("field").asText("");
                String message = json.hasNonNull("message") ? json.get("message").asText()
                        : json.path("problem").asText("");
                String error = json.path("error").asText("");
                if (!message.isEmpty()) {
                    return (error.isEmpty() ? "" : error + ": ") + (field.isEmpty() ? "" : field + " ") + message;
                }
            }
        } catch (IOException e) {
            // not JSON: shown as text
        }
        return trimmed.length() > 2000 ? trimmed.substring(0, 2000) + "..." : trimmed;
    }
}
