package io.meshfed.pki.function;

import io.meshfed.pki.signing.CsrSigningService;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Diagnostics: {@code GET /debug/metrics}, the signing counters in Prometheus text format (issued, replayed,
 * refused per reason, including the refusals before authentication that are never written to the audit store,
 * and requests that failed because a caller could not be authenticated right now).
 */
public class PkiRoutes {
    @Inject
    CsrSigningService service;

    void install(@Observes Router router) {
        router.get("/debug/metrics").handler(this::metrics);
    }

    private void metrics(RoutingContext ctx) {
        ctx.response().putHeader("content-type", "text/plain; version=0.0.4").end(service.metrics().prometheusText());
    }
}
