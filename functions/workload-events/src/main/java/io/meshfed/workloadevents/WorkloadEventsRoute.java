package io.meshfed.workloadevents;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventAnswer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * {@code POST /}: one CloudEvent (binary or structured) with {@code Authorization: Bearer <token>}; 202 once the
 * export sync it becomes is on the Broker. Every refusal is answered as every meshfed entry point answers
 * ({@link EventAnswer}: 400, 401, 403, 413, 422, 503). {@code GET /healthz} answers {@code ok}.
 */
@Singleton
public class WorkloadEventsRoute {
    private static final Logger LOG = Logger.getLogger(WorkloadEventsRoute.class);

    @Inject
    WorkloadEventGate gate;
    @Inject
    BrokerSender broker;

    void install(@Observes Router router) {
        router.get("/healthz").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain").end("ok\n"));
        router.post("/").handler(BodyHandler.create().setBodyLimit(EventAnswer.MAX_BODY_BYTES))
                .blockingHandler(this::handle, false)
                .failureHandler(this::refuse);
    }

    private void handle(RoutingContext ctx) {
        Map<String, List<String>> headers = new HashMap<>();
        ctx.request().headers().forEach(h -> headers.computeIfAbsent(h.getKey().toLowerCase(Locale.ROOT),
                k -> new java.util.ArrayList<>()).add(h.getValue()));
        CloudEvent event;
        try {
            event = HttpMessageFactory.createReaderFromMultimap(headers, ctx.body().buffer() == null ? new byte[0]
                    : ctx.body().buffer().getBytes()).toEvent();
        } catch (CloudEventRWException | EventDeserializationException | IllegalStateException e) {
            ctx.fail(BadEventException.notACloudEvent("is not a CloudEvent: " + e.getMessage(), e));
            return;
        }
        CloudEvent sync = gate.admit(event, ctx.request().getHeader("Authorization"));
        broker.send(sync);
        LOG.infof("admitted %s of cluster %s: %s posted", event.getType(), sync.getSubject(), sync.getId());
        ctx.response().setStatusCode(202).end();
    }

    private void refuse(RoutingContext ctx) {
        EventAnswer answer = EventAnswer.of(ctx.statusCode() == 413 ? EventAnswer.tooLarge().failure()
                : ctx.failure() != null ? ctx.failure() : BadEventException.notACloudEvent("is not a CloudEvent", null));
        if (answer.status() >= 500) {
            LOG.errorf(ctx.failure(), "a workload event failed: %s", answer.failure().getMessage());
        }
        ctx.response().setStatusCode(answer.status()).putHeader("Content-Type", EventAnswer.CONTENT_TYPE)
                .end(answer.body());
    }
}
