package io.meshfed.funqy;

import com.fasterxml.jackson.core.JsonParseException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventAnswer;
import io.meshfed.model.EventFailure;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Every failure of a Funqy app's HTTP route answered with {@link EventAnswer}, as local mode's broker answers: what
 * the function adapter threw ({@link EventFailure}), and what Funqy or Vert.x refused before the adapter ran (a
 * body above 256 KiB: 413; a structured-mode envelope that is not JSON: 400 naming {@code event}; a type no
 * function handles: 404). The status, body and logging of a refusal are decided in this one place per app; the
 * mapping itself is the model's.
 */
@Singleton
public class EventFailureRoute {
    private static final Logger LOG = Logger.getLogger(EventFailureRoute.class);

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        if (ctx.response().ended()) {
            return;
        }
        EventAnswer answer = EventAnswer.of(failure(ctx));
        EventObservation.putMdc(ctx); // the refusal's log line carries the event's id like every other
        try {
            if (answer.status() >= 500) {
                LOG.errorf(ctx.failure(), "%s %s failed: %s", ctx.request().method(), ctx.request().path(),
                        answer.failure().getMessage());
            } else {
                LOG.infof("refused an event (%d): %s", answer.status(), answer.failure().getMessage());
            }
        } finally {
            EventObservation.clearMdc();
        }
        ctx.response().setStatusCode(answer.status()).putHeader("Content-Type", EventAnswer.CONTENT_TYPE)
                .end(answer.body());
    }

    private static Throwable failure(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            return EventAnswer.tooLarge().failure();
        }
        for (Throwable t = ctx.failure(); t != null; t = t.getCause()) {
            if (t instanceof EventFailure f) {
                return f;
            }
            if (t instanceof JsonParseException parse) {
                // The functions take their data as bytes, so only a structured-mode envelope is parsed before them.
                String contentType = String.valueOf(ctx.request().getHeader("Content-Type"));
                return BadEventException.notJson(contentType.startsWith("application/cloudevents") ? "event" : "data",
                        parse);
            }
        }
        if (ctx.failure() != null) {
            return ctx.failure();
        }
        return switch (ctx.statusCode()) {
            case 404 -> new EventFailure(EventFailure.Kind.NO_HANDLER, "type", "no function here handles "
                    + (ctx.request().getHeader("ce-type") != null ? "type '" + ctx.request().getHeader("ce-type") + "'"
                            : "this event type"));
            case 400, 405, 406 -> BadEventException.notACloudEvent("is not a CloudEvent this function takes "
                    + "(POST one in binary or structured JSON mode, with datacontenttype application/json)", null);
            default -> new EventFailure(EventFailure.Kind.FAILED, "event", "the management plane failed; see its log");
        };
    }
}
