package io.meshfed.testsupport;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.message.MessageWriter;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Sends CloudEvents the way a Knative broker does (CloudEvents Java SDK over java.net.http), in either mode. */
public final class CloudEventsClient {
    public enum Mode { BINARY, STRUCTURED }

    /** The HTTP answer; {@code event} is the reply event, null when the answer carried none. */
    public record Answer(int status, Map<String, List<String>> headers, byte[] body, CloudEvent event) {
        public String bodyText() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI target;

    public CloudEventsClient(URI target) {
        this.target = target;
    }

    public Answer send(CloudEvent event, Mode mode) throws Exception {
        return send(event, mode, Map.of());
    }

    /** {@link #send(CloudEvent, Mode)} with extra HTTP headers (a delivery's {@code traceparent}, ...). */
    public Answer send(CloudEvent event, Mode mode, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30));
        headers.forEach(request::header);
        byte[][] body = new byte[1][];
        MessageWriter<?, ?> writer = HttpMessageFactory.createWriter(request::header, b -> body[0] = b);
        if (mode == Mode.BINARY) {
            writer.writeBinary(event);
        } else {
            writer.writeStructured(event, JsonFormat.CONTENT_TYPE);
        }
        return exchange(request, body[0] == null ? new byte[0] : body[0]);
    }

    /** Posts raw bytes with the given headers, for input no SDK would produce. */
    public Answer sendRaw(Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(30));
        headers.forEach(request::header);
        return exchange(request, body);
    }

    private Answer exchange(HttpRequest.Builder request, byte[] body) throws Exception {
        HttpResponse<byte[]> response = http.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        Map<String, List<String>> headers = response.headers().map();
        CloudEvent reply = null;
        if (response.statusCode() == 200) {
            Map<String, String> single = new HashMap<>();
            headers.forEach((k, v) -> single.put(k, v.get(0)));
            reply = HttpMessageFactory.createReader(single, response.body()).toEvent();
        }
        return new Answer(response.statusCode(), headers, response.body(), reply);
    }
}
