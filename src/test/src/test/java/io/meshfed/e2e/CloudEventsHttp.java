package io.meshfed.e2e;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** Sends CloudEvents to the local broker with the CloudEvents Java SDK over plain HTTP, in either encoding. */
final class CloudEventsHttp {
    enum Mode { BINARY, STRUCTURED }

    /** The HTTP status and, when the answer carried one, the reply event. */
    record Answer(int status, Optional<CloudEvent> reply, String body) {
        String replyData() {
            return new String(reply.orElseThrow().getData().toBytes(), StandardCharsets.UTF_8);
        }
    }

    private final URI broker;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    CloudEventsHttp(URI broker) {
        this.broker = broker;
    }

    static CloudEvent event(String type, String subject, String json) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId(UUID.randomUUID().toString()).withType(type)
                .withSource(URI.create("meshfed/e2e"));
        if (subject != null) {
            b.withSubject(subject);
        }
        if (json != null) {
            b.withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    Answer send(CloudEvent event, Mode mode) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker).timeout(Duration.ofSeconds(60));
        byte[][] body = new byte[1][];
        if (mode == Mode.BINARY) {
            HttpMessageFactory.createWriter(request::header, bytes -> body[0] = bytes).writeBinary(event);
        } else {
            EventFormat format = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
            HttpMessageFactory.createWriter(request::header, bytes -> body[0] = bytes).writeStructured(event, format);
        }
        HttpResponse<byte[]> response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(
                body[0] == null ? new byte[0] : body[0])).build(), HttpResponse.BodyHandlers.ofByteArray());
        Optional<CloudEvent> reply = Optional.empty();
        if (response.statusCode() == 200) {
            reply = Optional.of(HttpMessageFactory.createReaderFromMultimap(response.headers().map(), response.body())
                    .toEvent());
        }
        return new Answer(response.statusCode(), reply, new String(response.body(), StandardCharsets.UTF_8));
    }
}
