package io.meshfed.model;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The one place where a failure to handle an event becomes an HTTP answer, for every host of the functions: the
 * Funqy apps' failure route and local mode's broker both answer with {@link #of(Throwable)}. The status is the
 * {@link EventFailure.Kind}'s; the body is always {@code {"field": ..., "message": ..., "error": <kind code>}}
 * (docs/events.md). Anything that is not an {@link EventFailure} is a failure of the management plane: 500, its
 * detail for the log, not for the caller.
 *
 * @param status the HTTP status
 * @param body the JSON body ({@value #CONTENT_TYPE})
 * @param failure what is answered
 */
public record EventAnswer(int status, String body, EventFailure failure) {
    /**
     * The largest request body any meshfed entry point takes: 256 KiB, as the Funqy functions set it
     * ({@code quarkus.http.limits.max-body-size}) and local mode's broker enforces it. A larger body is answered 413
     * without being parsed.
     */
    public static final int MAX_BODY_BYTES = 256 * 1024;
    public static final String CONTENT_TYPE = "application/json";

    /** The answer to {@code failure}: the first {@link EventFailure} in its cause chain, else a 500. */
    public static EventAnswer of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EventFailure f) {
                return of(f);
            }
        }
        return of(new EventFailure(EventFailure.Kind.FAILED, "event", "the management plane failed; see its log",
                failure));
    }

    public static EventAnswer of(EventFailure failure) {
        StringWriter body = new StringWriter();
        try (JsonGenerator json = ModelJson.mapper().getFactory().createGenerator(body)) {
            json.writeStartObject();
            json.writeStringField("field", failure.field());
            json.writeStringField("message", failure.problem());
            json.writeStringField("error", failure.kind().code());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to a string cannot fail", e);
        }
        return new EventAnswer(failure.kind().status(), body.toString(), failure);
    }

    /** A body above {@link #MAX_BODY_BYTES}. */
    public static EventAnswer tooLarge() {
        return of(new EventFailure(EventFailure.Kind.TOO_LARGE, "body", "the event is larger than the "
                + MAX_BODY_BYTES / 1024 + " KiB maximum"));
    }
}
