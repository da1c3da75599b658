package io.meshfed.xds.relay;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * {@code java -jar meshfed-xds-relay.jar}: the xDS relay as istiod's sidecar container, configured by the
 * environment ({@link RelaySettings#fromEnvironment}). Re-reads its certificate files every
 * {@code MESHFED_RELAY_RELOAD_SECONDS} (default 30) so a renewed certificate is used without a restart. With
 * {@code MESHFED_RELAY_SHARDS=K} it also listens on {@code 127.0.K.1} to {@code 127.0.K.K}, one address per sharded
 * config source of the istiod beside it. Serves its metrics and health on {@code MESHFED_RELAY_METRICS_LISTEN}
 * ({@link RelayMonitor}). Exit code 2: bad settings; 1: cannot start (unreadable TLS material, port taken).
 */
public final class RelayMain {
    private static final Logger LOG = Logger.getLogger(RelayMain.class);

    /** How long a connection made to the bridge keeps the relay ready without dialing it again for a probe. */
    static final Duration READY_AFTER_CONNECTED = Duration.ofSeconds(60);

    private RelayMain() {
    }

    public static void main(String[] args) {
        RelaySettings settings;
        RelaySettings.HostPort monitorAddress;
        Duration reload;
        java.util.List<RelaySettings> listeners = new java.util.ArrayList<>();
        try {
            settings = RelaySettings.fromEnvironment(System.getenv());
            listeners.add(settings);
            int shards = RelaySettings.shardsFromEnvironment(System.getenv());
            for (int k = 1; k <= shards; k++) {
                listeners.add(settings.listeningOn("127.0." + shards + "." + k));
            }
            monitorAddress = RelaySettings.monitorFromEnvironment(System.getenv());
            if (monitorAddress.port() != 0 && monitorAddress.port() == settings.listenPort()) {
                throw new IllegalArgumentException("MESHFED_RELAY_METRICS_LISTEN must use another port than the relay's "
                        + settings.listenPort());
            }
            reload = Duration.ofSeconds(Long.parseLong(
                    System.getenv().getOrDefault("MESHFED_RELAY_RELOAD_SECONDS", "30")));
            if (reload.getSeconds() < 1) {
                throw new IllegalArgumentException("MESHFED_RELAY_RELOAD_SECONDS must be at least 1, got " + reload.getSeconds());
            }
        } catch (IllegalArgumentException e) {
            System.err.println("meshfed-xds-relay: " + e.getMessage());
            System.exit(2);
            return;
        }
        Vertx vertx = Vertx.vertx();
        XdsRelay relay;
        RelayMonitor monitor;
        try {
            relay = XdsRelay.start(vertx, listeners, new RelayMetrics(), Clock.systemUTC()).toCompletionStage()
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            monitor = RelayMonitor.start(vertx, relay, monitorAddress.host(), monitorAddress.port(),
                    Clock.systemUTC(), READY_AFTER_CONNECTED).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("meshfed-xds-relay: cannot start: " + (e.getCause() == null ? e : e.getCause()));
            vertx.close();
            System.exit(1);
            return;
        }
        vertx.setPeriodic(reload.toMillis(), id -> relay.reloadCertificates().onFailure(e ->
                LOG.errorf("xDS relay: keeping the previous certificate: %s", e.toString())));
        for (RelaySettings listener : listeners) {
            LOG.infof("xDS relay: %s:%d (plaintext h2c, loopback) -> %s:%d (TLS, server name %s, client certificate"
                    + " %s)", listener.listenHost(), relay.port(), settings.bridgeHost(),
                    settings.bridgePort(), settings.serverName(), settings.certFile());
        }
        LOG.infof("xDS relay: metrics and health on http://%s:%d (/metrics, /q/health/live, /q/health/ready)",
                monitorAddress.host(), monitor.port());
        // Vert.x's event loop threads keep the process alive; on SIGTERM close the port and the relayed connections
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("meshfed-xds-relay: closing: " + e);
            }
        }, "meshfed-xds-relay-shutdown"));
    }
}
