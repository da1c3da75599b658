package io.meshfed.xds.app;

import io.meshfed.xds.protocol.AdsListener;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.AdsTls;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.file.Path;
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
    private final jakarta.enterprise.inject.Instance<io.fabric8.kubernetes.client.KubernetesClient> client;
    private volatile StoreWatch watch;
    private final ClusterGauges gauges;

    XdsListener(Vertx vertx, AdsServer ads, CatalogFeed feed, BridgeConfig config,
            jakarta.enterprise.inject.Instance<io.fabric8.kubernetes.client.KubernetesClient> client,
            ClusterGauges gauges) {
        this.client = client;
        this.gauges = gauges;
        this.vertx = vertx;
        this.ads = ads;
        this.feed = feed;
        this.config = config;
    }

    void start(@Observes StartupEvent e) throws Exception {
        feed.loadAll();
        if (config.xds().watchStores()) {
            watch = StoreWatch.start(client.get(), config.namespace(), feed, config.xds().watchResync(), gauges);
        }
        HttpServerOptions options = new HttpServerOptions().setHost(config.xds().host()).setPort(config.xds().port());
        BridgeConfig.Tls tls = config.xds().tls();
        if (tls.certFile().isPresent()) {
            adsTls(tls).applyTo(options);
        }
        int eventLoops = config.xds().eventLoops().orElse(AdsListener.defaultEventLoops());
        listener = AdsListener.listen(vertx, ads, options, eventLoops)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        timer = vertx.setPeriodic(config.xds().republishInterval().toMillis(),
                id -> vertx.executeBlocking(() -> {
                    feed.republish();
                    return null;
                }, false));
        LOG.infof("ADS listening on %s:%d (%s, %d event loops, at most %d streams per cluster)", config.xds().host(),
                listener.port(), tls.certFile().isPresent() ? "mutual TLS, client certificates required"
                        : "plaintext h2c, loopback clients only", eventLoops, config.xds().maxStreamsPerCluster());
    }

    /** The configured mutual TLS; a certificate without its key or without the client roots is refused. */
    static AdsTls adsTls(BridgeConfig.Tls tls) {
        String missing = tls.keyFile().isEmpty() ? "meshfed.xds.tls.key-file"
                : tls.clientCaFile().isEmpty() ? "meshfed.xds.tls.client-ca-file" : null;
        if (missing != null) {
            throw new IllegalStateException(missing + " is required with meshfed.xds.tls.cert-file: TLS on the ADS"
                    + " port is always mutual (client certificates issued by the xDS client CA name each cluster)");
        }
        return new AdsTls(Path.of(tls.certFile().get()), Path.of(tls.keyFile().get()),
                Path.of(tls.clientCaFile().get()));
    }

    void stop(@Observes ShutdownEvent e) {
        if (watch != null) {
            watch.close();
        }
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
