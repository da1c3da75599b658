package io.meshfed.registration;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.ModelJson;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one boundary where input errors become HTTP answers: a request whose data cannot be read (malformed
 * JSON, a wrong type, an unknown field) or that {@link BadEventException} refuses gets 400 with a JSON body
 * naming the field; an oversized body gets 413. Other failures keep Quarkus's handling.
 */
public class BadInputResponses {

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            respond(ctx, 413, "body", "the event is larger than the 256 KiB maximum");
            return;
        }
        for (Throwable t = ctx.failure(); t != null; t = t.getCause()) {
            if (t instanceof BadEventException bad) {
                respond(ctx, 400, bad.field(), bad.problem());
                return;
            }
            if (t instanceof JsonMappingException mapping) {
                BadEventException bad = RegistrationEvents.toBadEvent(mapping);
                respond(ctx, 400, bad.field(), bad.problem());
                return;
            }
            if (t instanceof JsonParseException parse) {
                // Structured mode: the whole body is the envelope, parsed before any data is read.
                String contentType = String.valueOf(ctx.request().getHeader("Content-Type"));
                respond(ctx, 400, contentType.startsWith("application/cloudevents") ? "event" : "data",
                        "is not valid JSON: " + parse.getOriginalMessage() + " at line "
                        + parse.getLocation().getLineNr() + ", column " + parse.getLocation().getColumnNr());
                return;
            }
        }
        ctx.next();
    }

    private static void respond(RoutingContext ctx, int status, String field, String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("field", field);
        body.put("message", message);
        try {
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(ModelJson.mapper().writeValueAsString(body));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            ctx.response().setStatusCode(status).end(field + ": " + message);
        }
    }
}
