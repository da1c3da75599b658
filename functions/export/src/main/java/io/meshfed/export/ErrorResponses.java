package io.meshfed.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.ModelJson;
import io.meshfed.store.ConcurrentChangeException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The one boundary where failures become HTTP answers (JSON {@code {"error", "field", "message"}}, never
 * {@code ce-*} headers, so no reply event is emitted):
 * <ul>
 * <li>400 {@code bad-event}: the event's data or subject cannot be interpreted, or the structured-mode envelope is
 * not JSON. Knative does not retry it.</li>
 * <li>413 {@code too-large}: the body is above {@code quarkus.http.limits.max-body-size} (256 KiB, as every meshfed
 * entry point); it was not read.</li>
 * <li>422 {@code unknown-cluster}: the event names a cluster that is not registered and has no catalog. Not 404,
 * because Knative retries 404 (it also means "subscriber not ready yet") and retrying cannot help.</li>
 * <li>503 {@code contended}: other writers kept changing the catalog; Knative retries it later.</li>
 * </ul>
 * Every other failure keeps Quarkus's handling (500).
 */
public class ErrorResponses {
    private static final Logger LOG = Logger.getLogger(ErrorResponses.class);

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            respond(ctx, 413, "too-large", "body", "the event is larger than the 256 KiB maximum");
            return;
        }
        Throwable failure = ctx.failure();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof BadEventException bad) {
                LOG.infof("refused event: %s", bad.getMessage());
                respond(ctx, 400, "bad-event", bad.field(), bad.problem());
                return;
            }
            if (t instanceof UnknownClusterException unknown) {
                LOG.infof("refused event: %s", unknown.getMessage());
                respond(ctx, 422, "unknown-cluster", "subject", unknown.getMessage());
                return;
            }
            if (t instanceof ConcurrentChangeException contended) {
                LOG.warnf("gave up: %s", contended.getMessage());
                respond(ctx, 503, "contended", "subject", contended.getMessage());
                return;
            }
            if (t instanceof com.fasterxml.jackson.core.JsonParseException parse) {
                // Only the structured-mode envelope reaches here unparsed; data is read by ExportEvents.
                respond(ctx, 400, "bad-event", "event", "is not valid JSON: " + parse.getOriginalMessage());
                return;
            }
        }
        ctx.next();
    }

    private static void respond(RoutingContext ctx, int status, String error, String field, String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("field", field);
        body.put("message", message);
        String json;
        try {
            json = ModelJson.mapper().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            json = "{\"error\":\"" + error + "\"}";
        }
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(json);
    }
}
