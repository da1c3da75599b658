package io.meshfed.xds.app;

import io.meshfed.xds.protocol.AdsListener;
import io.meshfed.xds.protocol.AdsServer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
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
    private volatile AdsListener listener;
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
        int eventLoops = config.xds().eventLoops().orElse(AdsListener.defaultEventLoops());
        listener = AdsListener.listen(vertx, ads, options, eventLoops)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        timer = vertx.setPeriodic(config.xds().republishInterval().toMillis(),
                id -> vertx.executeBlocking(() -> {
                    feed.republish();
                    return null;
                }, false));
        LOG.infof("ADS listening on %s:%d (%s, %d event loops)", config.xds().host(), listener.port(),
                tls.certFile().isPresent() ? "TLS" : "plaintext h2c", eventLoops);
    }

    void stop(@Observes ShutdownEvent e) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        if (listener != null) {
            listener.close();
        }
    }

    /** True once the catalogs are loaded and the ADS port accepts streams. */
    public boolean listening() {
        return listener != null;
    }

    /** The bound ADS port. */
    public int port() {
        return listener.port();
    }
}
