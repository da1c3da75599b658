package io.meshfed.xds.relay;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The relay's plain-HTTP listener for Prometheus and probes, at the paths every meshfed component serves
 * (docs/observability.md): {@code GET /metrics}, {@code /q/health/live} and {@code /q/health/ready} (SmallRye Health's
 * JSON shape). It serves counters, timestamps and UP/DOWN only, never certificate contents or addresses of clients,
 * and accepts nothing but GET and HEAD, so it may listen on the pod's address for Prometheus to reach.
 *
 * <ul>
 *   <li>live: the relay's event loop runs a task within {@link #LIVE_TIMEOUT};</li>
 *   <li>ready: the loaded client certificate is valid now, and the bridge is reachable: it answered on a connection
 *   with no failed dial since, and that connection is still open or was made within {@code recent}; or else a dial
 *   made for this probe (at most one at a time, shared by concurrent probes) is answered within
 *   {@link #PROBE_TIMEOUT}.</li>
 * </ul>
 */
public final class RelayMonitor {
    /** What the relay listens on for scrapes and probes unless configured: the pod's addresses. */
    public static final String DEFAULT_LISTEN = "0.0.0.0:15015";
    static final Duration LIVE_TIMEOUT = Duration.ofSeconds(2);
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    private final Vertx vertx;
    private final XdsRelay relay;
    private final Clock clock;
    private final Duration recent;
    private HttpServer server;
    /** The bridge dial of a readiness probe in flight, or null; only touched on the monitor's event loop. */
    private Future<Void> probe;

    private RelayMonitor(Vertx vertx, XdsRelay relay, Clock clock, Duration recent) {
        this.vertx = vertx;
        this.relay = relay;
        this.clock = clock;
        this.recent = recent;
    }

    /** Listens on {@code host:port} (port 0 picks one). */
    public static Future<RelayMonitor> start(Vertx vertx, XdsRelay relay, String host, int port, Clock clock,
            Duration recent) {
        RelayMonitor monitor = new RelayMonitor(vertx, relay, clock, recent);
        HttpServer s = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port));
        s.requestHandler(monitor::handle);
        return s.listen().map(bound -> {
            monitor.server = bound;
            return monitor;
        });
    }

    public int port() {
        return server.actualPort();
    }

    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private void handle(HttpServerRequest request) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().setStatusCode(405).putHeader("Allow", "GET, HEAD").end();
            return;
        }
        switch (request.path()) {
            case "/metrics" -> request.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                    .end(relay.metrics().render());
            case "/q/health/live" -> live().onComplete(check -> answer(request, List.of(check.result())));
            case "/q/health/ready" -> {
                JsonObject certificate = certificate();
                bridge().onComplete(bridge -> answer(request, List.of(certificate, bridge.result())));
            }
            default -> request.response().setStatusCode(404).end();
        }
    }

    /** Completes (never fails) with the event loop check. */
    private Future<JsonObject> live() {
        Promise<JsonObject> answered = Promise.promise();
        long timer = vertx.setTimer(LIVE_TIMEOUT.toMillis(), id -> answered.tryComplete(check("event-loop", false,
                new JsonObject().put("reason", "the relay's event loop did not run a task within "
                        + LIVE_TIMEOUT.toSeconds() + " s"))));
        relay.context().runOnContext(v -> {
            vertx.cancelTimer(timer);
            answered.tryComplete(check("event-loop", true, null));
        });
        return answered.future();
    }

    private JsonObject certificate() {
        RelayMetrics m = relay.metrics();
        Instant now = clock.instant();
        Instant from = m.certificateNotBefore();
        Instant until = m.certificateNotAfter();
        JsonObject data = new JsonObject().put("validFrom", String.valueOf(from)).put("validUntil", String.valueOf(until));
        if (from == null || until == null) {
            return check("certificate", false, data.put("reason", "no client certificate loaded"));
        }
        if (now.isBefore(from)) {
            return check("certificate", false, data.put("reason", "the client certificate is not valid yet"));
        }
        if (!now.isBefore(until)) {
            return check("certificate", false, data.put("reason", "the client certificate expired: is the cluster's"
                    + " CSR agent renewing Secret meshfed-xds-client?"));
        }
        return check("certificate", true, data);
    }

    /** Completes (never fails) with the bridge check, dialing the bridge when nothing recent says it is reachable. */
    private Future<JsonObject> bridge() {
        RelayMetrics m = relay.metrics();
        Instant now = clock.instant();
        Instant connected = m.lastConnected();
        Instant failed = m.lastDialFailure();
        boolean answeredSinceLastFailure = connected != null && (failed == null || failed.isBefore(connected));
        if (answeredSinceLastFailure && m.upstreamOpen() > 0) {
            return Future.succeededFuture(check("bridge", true, new JsonObject()
                    .put("connectionsOpen", m.upstreamOpen()).put("lastConnected", connected.toString())));
        }
        if (answeredSinceLastFailure && Duration.between(connected, now).compareTo(recent) < 0) {
            return Future.succeededFuture(check("bridge", true, new JsonObject()
                    .put("lastConnected", connected.toString())));
        }
        if (probe == null) {
            Future<Void> dial = relay.probeBridge();
            probe = dial;
            dial.onComplete(done -> probe = null);
        }
        Promise<JsonObject> answered = Promise.promise();
        long timer = vertx.setTimer(PROBE_TIMEOUT.toMillis(), id -> answered.tryComplete(check("bridge", false,
                new JsonObject().put("reason", "no connection to the bridge within " + PROBE_TIMEOUT.toSeconds()
                        + " s"))));
        probe.onComplete(done -> {
            vertx.cancelTimer(timer);
            Instant last = relay.metrics().lastConnected();
            JsonObject data = new JsonObject();
            if (!done.succeeded()) {
                RelayMetrics.DialFailure reason = relay.metrics().lastDialFailureReason();
                data.put("reason", reason == null ? "other" : reason.label());
            }
            if (last != null) {
                data.put("lastConnected", last.toString());
            }
            answered.tryComplete(check("bridge", done.succeeded(), data));
        });
        return answered.future();
    }

    private static JsonObject check(String name, boolean up, JsonObject data) {
        JsonObject check = new JsonObject().put("name", name).put("status", up ? "UP" : "DOWN");
        return data == null ? check : check.put("data", data);
    }

    private static void answer(HttpServerRequest request, List<JsonObject> checks) {
        boolean up = checks.stream().allMatch(c -> "UP".equals(c.getString("status")));
        request.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", new JsonArray(checks))
                        .encode());
    }
}
