package io.meshfed.xds.app;

import io.meshfed.xds.protocol.AdsServer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Starts the bridge: loads every catalog first (so the first client already gets the whole federation), then opens
 * the ADS port, and re-judges stale catalogs periodically.
 */
@Singleton
public class XdsListener {
    private static final Logger LOG = Logger.getLogger(XdsListener.class);

    private final Vertx vertx;
    private final AdsServer ads;
    private final CatalogFeed feed;
    private final BridgeConfig config;
    private volatile HttpServer server;
    private long timer = -1;

    XdsListener(Vertx vertx, AdsServer ads, CatalogFeed feed, BridgeConfig config) {
        this.vertx = vertx;
        this.ads = ads;
        this.feed = feed;
        this.config = config;
    }

    void start(@Observes StartupEvent e) throws Exception {
        feed.loadAll();
        HttpServerOptions options = new HttpServerOptions().setHost(config.xds().host()).setPort(config.xds().port());
        BridgeConfig.Tls tls = config.xds().tls();
        if (tls.certFile().isPresent()) {
            options.setSsl(true).setUseAlpn(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(tls.certFile().get())
                    .setKeyPath(tls.keyFile().orElseThrow(() -> new IllegalStateException(
                            "meshfed.xds.tls.key-file is required with meshfed.xds.tls.cert-file"))));
            if (tls.clientCaFile().isPresent()) {
                options.setClientAuth(ClientAuth.REQUEST)
                        .setTrustOptions(new PemTrustOptions().addCertPath(tls.clientCaFile().get()));
            }
        }
        server = vertx.createHttpServer(options).requestHandler(ads.requestHandler(vertx))
                .listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        timer = vertx.setPeriodic(config.xds().republishInterval().toMillis(),
                id -> vertx.executeBlocking(() -> {
                    feed.republish();
                    return null;
                }, false));
        LOG.infof("ADS listening on %s:%d (%s)", config.xds().host(), server.actualPort(),
                tls.certFile().isPresent() ? "TLS" : "plaintext h2c");
    }

    void stop(@Observes ShutdownEvent e) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        if (server != null) {
            server.close();
        }
    }

    /** True once the catalogs are loaded and the ADS port accepts streams. */
    public boolean listening() {
        return server != null;
    }

    /** The bound ADS port. */
    public int port() {
        return server.actualPort();
    }
}
