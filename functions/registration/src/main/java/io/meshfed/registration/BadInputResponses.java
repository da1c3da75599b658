package io.meshfed.registration;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.ModelJson;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

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
            respond(ctx, 413, "body", "the event is larger than the allowed maximum");
            return;
        }
        for (Throwable t = ctx.failure(); t != null; t = t.getCause()) {
            if (t instanceof BadEventException bad) {
                respond(ctx, 400, bad.field(), bad.problem());
                return;
            }
            if (t instanceof JsonMappingException mapping) {
                BadEventException bad = toBadEvent(mapping);
                respond(ctx, 400, bad.field(), bad.problem());
                return;
            }
            if (t instanceof JsonParseException parse) {
                respond(ctx, 400, "data", "is not valid JSON: " + parse.getOriginalMessage() + " at line "
                        + parse.getLocation().getLineNr() + ", column " + parse.getLocation().getColumnNr());
                return;
            }
        }
        ctx.next();
    }

    /** A Jackson mapping problem as the field it concerns ("data.a.b") and what is wrong with it. */
    static BadEventException toBadEvent(JsonMappingException e) {
        return new BadEventException(path(e), describe(e));
    }

    private static String path(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return path.isEmpty() ? "data" : "data." + path;
    }

    private static String describe(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "is not a known field (known: " + u.getKnownPropertyIds() + ")";
        }
        if (e instanceof InvalidFormatException f) {
            return "expected " + simpleType(f.getTargetType()) + ", got '" + f.getValue() + "'";
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "expected " + simpleType(m.getTargetType()) + ": " + m.getOriginalMessage();
        }
        return e.getOriginalMessage();
    }

    private static String simpleType(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "an object (" + type.getSimpleName() + ")";
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
