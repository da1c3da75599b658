package io.meshfed.registration;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** Sends CloudEvents over HTTP with the official SDK, in binary or structured mode, and reads the reply. */
final class CloudEventsHttp {
    record Reply(int status, CloudEvent event, String body) {
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private CloudEventsHttp() {
    }

    static Reply send(URI uri, CloudEvent event, boolean structured) throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        byte[][] body = new byte[1][];
        var writer = HttpMessageFactory.createWriter(headers::put, bytes -> body[0] = bytes);
        if (structured) {
            writer.writeStructured(event, JsonFormat.CONTENT_TYPE);
        } else {
            writer.writeBinary(event);
        }
        return post(uri, headers, body[0] == null ? new byte[0] : body[0]);
    }

    static Reply post(URI uri, Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        CloudEvent reply = null;
        if (response.statusCode() == 200) {
            MessageReader reader = HttpMessageFactory.createReaderFromMultimap(response.headers().map(), response.body());
            reply = reader.toEvent();
        }
        return new Reply(response.statusCode(), reply, new String(response.body()));
    }
}
