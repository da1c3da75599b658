package io.meshfed.xds.protocol;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The ADS port, served on several event loops. A Vert.x HTTP server handles every connection it accepts on the one
 * event loop it was started on, so a single server would read and write every client's streams on one core. The
 * listener starts one server per event loop on the same port; Vert.x hands each new connection to the next of them,
 * and each stream then stays on its connection's event loop.
 */
public final class AdsListener {
    private final Vertx vertx;
    private final String deployment;
    private final int port;
    private final int eventLoops;

    private AdsListener(Vertx vertx, String deployment, int port, int eventLoops) {
        this.vertx = vertx;
        this.deployment = deployment;
        this.port = port;
        this.eventLoops = eventLoops;
    }

    /** One event loop per CPU: the count where none is configured. */
    public static int defaultEventLoops() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Opens {@code options}' port (0 picks a free one) on {@code eventLoops} event loops of {@code vertx}, each
     * connection answered by {@code ads}.
     */
    public static Future<AdsListener> listen(Vertx vertx, AdsServer ads, HttpServerOptions options, int eventLoops) {
        return listen(vertx, ads::requestHandler, options, eventLoops);
    }

    /** As above, each server's request handler made by {@code handlers} on its event loop. */
    static Future<AdsListener> listen(Vertx vertx, Function<Vertx, Handler<HttpServerRequest>> handlers,
            HttpServerOptions options, int eventLoops) {
        if (eventLoops < 1) {
            throw new IllegalArgumentException("eventLoops must be at least 1, got " + eventLoops);
        }
        // servers of one Vert.x on the same port share its socket; a negative port is Vert.x's way of sharing one
        // free port among them, where port 0 would give each server a port of its own
        int port = options.getPort() == 0 ? -1 : options.getPort();
        HttpServerOptions shared = new HttpServerOptions(options).setPort(port);
        AtomicInteger bound = new AtomicInteger();
        return vertx.deployVerticle(() -> new Server(handlers, shared, bound),
                new DeploymentOptions().setInstances(eventLoops)).map(id -> new AdsListener(vertx, id, bound.get(), eventLoops));
    }

    /** The bound port. */
    public int port() {
        return port;
    }

    /** How many event loops serve the port. */
    public int eventLoops() {
        return eventLoops;
    }

    /** Closes the port on every event loop. */
    public Future<Void> close() {
        return vertx.undeploy(deployment);
    }

    /** One HTTP/2 server on the event loop Vert.x gives this verticle instance. */
    private static final class Server extends AbstractVerticle {
        private final Function<Vertx, Handler<HttpServerRequest>> handlers;
        private final HttpServerOptions options;
        private final AtomicInteger bound;

        Server(Function<Vertx, Handler<HttpServerRequest>> handlers, HttpServerOptions options, AtomicInteger bound) {
            this.handlers = handlers;
            this.options = options;
            this.bound = bound;
        }

        @Override
        public void start(Promise<Void> started) {
            vertx.createHttpServer(options).requestHandler(handlers.apply(vertx)).listen().onSuccess(s -> {
                bound.set(s.actualPort());
                started.complete();
            }).onFailure(started::fail);
        }
    }
}
