package io.meshfed.cli;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Posts one CloudEvent in binary mode to a broker URL (a Knative Broker's ingress, a function's own URL or the
 * local mode's endpoint) and classifies the HTTP answer. Replies are read in binary or structured mode.
 * Thread-safe; one instance per command run.
 */
final class BrokerClient {

    /** What the receiver did with the event. */
    sealed interface Delivery permits Replied, Accepted, NoReply, Refused {
    }

    /** The reply event came back in the response (a function or the local mode answered directly). */
    record Replied(int status, CloudEvent event) implements Delivery {
    }

    /** 202: taken by a broker that does not return replies; the result is an event on the broker. */
    record Accepted(int status) implements Delivery {
    }

    /** A 2xx without an event, e.g. 204 from an export sync that changed nothing. */
    record NoReply(int status) implements Delivery {
    }

    /** A 3xx, 4xx or 5xx status; {@code body} as received (a meshfed function sends {@code {field, message}}). */
    record Refused(int status, String body) implements Delivery {
    }

    private final URI uri;
    private final Duration timeout;
    private final HttpClient http;

    BrokerClient(URI uri, Duration timeout) {
        this.uri = uri;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    Delivery send(CloudEvent event) {
        Map<String, String> headers = new LinkedHashMap<>();
        byte[][] body = {new byte[0]};
        HttpMessageFactory.createWriter(headers::put, bytes -> body[0] = bytes == null ? new byte[0] : bytes)
                .writeBinary(event);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body[0]));
        headers.forEach(request::header);
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "no answer from " + uri + " within " + timeout.toSeconds()
                    + " s (--timeout)", e);
        } catch (ConnectException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot connect to " + uri
                    + ": is the broker running? (--broker or MESHFED_BROKER)", e);
        } catch (IOException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "sending to " + uri + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "interrupted while sending to " + uri, e);
        }
        return classify(response);
    }

    private Delivery classify(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        if (status == 202) {
            return new Accepted(status);
        }
        if (status < 200 || status >= 300) {
            return new Refused(status, new String(response.body(), StandardCharsets.UTF_8));
        }
        if (!carriesEvent(response)) {
            return new NoReply(status);
        }
        try {
            MessageReader reader = HttpMessageFactory.createReaderFromMultimap(response.headers().map(), response.body());
            return new Replied(status, reader.toEvent());
        } catch (CloudEventRWException | IllegalStateException e) {
            throw new CommandFailedException(ExitCodes.REMOTE_FAILURE, uri + " answered " + status
                    + " with an event that cannot be read: " + e.getMessage(), e);
        }
    }

    /** Binary mode has {@code ce-specversion}; structured mode is {@code application/cloudevents+json}. */
    private static boolean carriesEvent(HttpResponse<byte[]> response) {
        return response.headers().firstValue("ce-specversion").isPresent()
                || response.headers().firstValue("content-type")
                        .map(type -> type.toLowerCase(java.util.Locale.ROOT).startsWith("application/cloudevents"))
                        .orElse(false);
    }
}
