package io.meshfed.images;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * Sends one CloudEvent in binary mode (attributes as {@code ce-} headers, JSON body) and reads the reply's type, the
 * way the Knative Broker's delivery does. {@link #sendWhenListening} retries while nothing listens yet, so the time
 * to the reply is the time to the first answered event after the process started.
 */
public final class CloudEventClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The reply: HTTP status and the {@code ce-type} header, empty when the answer carried no event. */
    public record Reply(int status, Optional<String> type, String body) {
    }

    public Reply send(URI uri, String type, String subject, String json) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("ce-specversion", "1.0")
                .header("ce-id", UUID.randomUUID().toString())
                .header("ce-source", "meshfed/images")
                .header("ce-type", type)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (subject != null) {
            b.header("ce-subject", subject);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.headers().firstValue("ce-type"), r.body());
    }

    /**
     * Sends as soon as something accepts connections at {@code uri}, polling every millisecond until
     * {@code deadlineNanos} ({@link System#nanoTime()}); a process that died ends the wait at once.
     */
    public Reply sendWhenListening(URI uri, String type, String subject, String json, Process process,
            long deadlineNanos) throws IOException, InterruptedException {
        while (true) {
            try {
                return send(uri, type, subject, json);
            } catch (ConnectException | HttpTimeoutException e) {
                if (!process.isAlive()) {
                    throw new IOException("the process exited with " + process.exitValue() + " before it answered");
                }
                if (System.nanoTime() > deadlineNanos) {
                    throw new IOException("nothing answered at " + uri + " in time", e);
                }
                Thread.sleep(1);
            }
        }
    }
}
