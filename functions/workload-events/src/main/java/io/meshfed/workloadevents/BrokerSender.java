package io.meshfed.workloadevents;

import io.cloudevents.CloudEvent;
import io.cloudevents.http.HttpMessageFactory;
import io.meshfed.model.EventFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Posts an admitted event to the management cluster's Broker under this function's own identity: a projected
 * service-account token for the Broker's audience, read afresh for every post (the kubelet rotates it). The
 * Broker's EventPolicy admits this identity for exactly the export syncs {@link WorkloadEventGate} makes.
 * Thread-safe.
 */
public final class BrokerSender {
    private final URI broker;
    private final Path tokenFile;
    private final HttpClient http;
    private final Duration timeout;

    /** @param tokenFile the token to present; null posts without one (local mode's broker on loopback) */
    public BrokerSender(URI broker, Path tokenFile, Duration timeout) {
        this.broker = broker;
        this.tokenFile = tokenFile;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /**
     * Posts {@code event} in binary mode.
     *
     * @throws EventFailure UNAVAILABLE when the Broker does not take it (the sender of the workload event retries)
     */
    public void send(CloudEvent event) {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker).timeout(timeout);
        if (tokenFile != null) {
            try {
                request.header("Authorization", "Bearer " + Files.readString(tokenFile).trim());
            } catch (IOException e) {
                throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "cannot read this function's Broker"
                        + " token " + tokenFile + ": " + e.getClass().getSimpleName(), e);
            }
        }
        byte[][] body = new byte[1][];
        HttpMessageFactory.createWriter(request::header, b -> body[0] = b).writeBinary(event);
        request.POST(body[0] == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body[0]));
        HttpResponse<Void> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "the Broker at " + broker
                    + " cannot be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "interrupted posting to the Broker", e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "the Broker at " + broker + " answered "
                    + response.statusCode() + " to the export sync of " + event.getSubject());
        }
    }
}
