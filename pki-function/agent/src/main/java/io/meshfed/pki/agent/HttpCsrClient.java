package io.meshfed.pki.agent;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.signing.CsrRejected;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.SigningOutcome;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Sends {@code csr.submitted} over HTTP with the CloudEvents SDK and reads the reply event from the HTTP
 * response: the PKI function's Knative Service answers synchronously with {@code csr.signed} or
 * {@code csr.rejected}. Thread-safe.
 */
public final class HttpCsrClient implements CsrClient {
    /** How the request event is put on the wire. */
    public enum Encoding {
        BINARY, STRUCTURED
    }

    private final URI target;
    private final String source;
    private final Encoding encoding;
    private final HttpClient http;
    private final Duration timeout;

    public HttpCsrClient(URI target, String source, Encoding encoding, Duration timeout) {
        this.target = target;
        this.source = source;
        this.encoding = encoding;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** The csr.submitted event for {@code request}: subject = cluster, JSON data. */
    public CloudEvent event(CsrSubmitted request) {
        try {
            return CloudEventBuilder.v1()
                    .withId(UUID.randomUUID().toString())
                    .withType(EventTypes.CSR_SUBMITTED)
                    .withSource(URI.create(source))
                    .withSubject(request.cluster())
                    .withDataContentType("application/json")
                    .withData(ModelJson.mapper().writeValueAsBytes(request))
                    .build();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("csr.submitted data always serializes", e);
        }
    }

    @Override
    public SigningOutcome submit(CsrSubmitted request) {
        CloudEvent reply = exchange(event(request));
        byte[] data = reply.getData() == null ? new byte[0] : reply.getData().toBytes();
        try {
            if (EventTypes.CSR_SIGNED.equals(reply.getType())) {
                return new SigningOutcome.Signed(ModelJson.mapper().readValue(data, CsrSigned.class), false);
            }
            if (EventTypes.CSR_REJECTED.equals(reply.getType())) {
                return new SigningOutcome.Rejected(ModelJson.mapper().readValue(data, CsrRejected.class));
            }
        } catch (IOException e) {
            throw new ManagementPlaneUnavailableException("reply " + reply.getType() + " has unreadable data", e);
        }
        throw new ManagementPlaneUnavailableException("unexpected reply type " + reply.getType(), null);
    }

    /** Sends {@code event} and returns the reply event, in whichever encoding the server answered. */
    public CloudEvent exchange(CloudEvent event) {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(timeout);
        byte[][] body = new byte[1][];
        if (encoding == Encoding.BINARY) {
            HttpMessageFactory.createWriter(request::header, bytes -> body[0] = bytes).writeBinary(event);
        } else {
            EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
            HttpMessageFactory.createWriter(request::header, bytes -> body[0] = bytes).writeStructured(event, format);
        }
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(
                    body[0] == null ? new byte[0] : body[0])).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ManagementPlaneUnavailableException("cannot reach " + target + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ManagementPlaneUnavailableException("interrupted while calling " + target, e);
        }
        if (response.statusCode() / 100 != 2 || response.body().length == 0) {
            throw new ManagementPlaneUnavailableException(target + " answered HTTP " + response.statusCode()
                    + (response.body().length == 0 ? " without a reply event" : ""), null);
        }
        Map<String, String> headers = new HashMap<>();
        response.headers().map().forEach((k, v) -> headers.put(k, v.isEmpty() ? "" : v.get(0)));
        try {
            MessageReader reader = HttpMessageFactory.createReader(headers, response.body());
            return reader.toEvent();
        } catch (RuntimeException e) {
            throw new ManagementPlaneUnavailableException("reply from " + target + " is not a CloudEvent", e);
        }
    }
}
