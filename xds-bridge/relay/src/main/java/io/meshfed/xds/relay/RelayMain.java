package io.meshfed.xds.relay;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * {@code java -jar meshfed-xds-relay.jar}: the xDS relay as istiod's sidecar container, configured by the
 * environment ({@link RelaySettings#fromEnvironment}). Re-reads its certificate files every
 * {@code MESHFED_RELAY_RELOAD_SECONDS} (default 30) so a renewed certificate is used without a restart. With
 * {@code MESHFED_RELAY_SHARDS=K} it also listens on {@code 127.0.K.1} to {@code 127.0.K.K}, one address per sharded
 * config source of the istiod beside it. Exit code 2: bad settings; 1: cannot start (unreadable TLS material, port
 * taken).
 */
public final class RelayMain {
    private static final Logger LOG = Logger.getLogger(RelayMain.class);

    private RelayMain() {
    }

    public static void main(String[] args) {
        RelaySettings settings;
        Duration reload;
        java.util.List<RelaySettings> listeners = new java.util.ArrayList<>();
        try {
            settings = RelaySettings.fromEnvironment(System.getenv());
            listeners.add(settings);
            int shards = RelaySettings.shardsFromEnvironment(System.getenv());
            for (int k = 1; k <= shards; k++) {
                listeners.add(settings.listeningOn("127.0." + shards + "." + k));
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
        java.util.List<XdsRelay> relays = new java.util.ArrayList<>();
        try {
            for (RelaySettings listener : listeners) {
                relays.add(XdsRelay.start(vertx, listener).toCompletionStage().toCompletableFuture()
                        .get(30, TimeUnit.SECONDS));
            }
        } catch (Exception e) {
            System.err.println("meshfed-xds-relay: cannot start: " + (e.getCause() == null ? e : e.getCause()));
            vertx.close();
            System.exit(1);
            return;
        }
        vertx.setPeriodic(reload.toMillis(), id -> relays.forEach(relay -> relay.reloadCertificates().onFailure(e ->
                LOG.errorf("xDS relay: keeping the previous certificate: %s", e.toString()))));
        for (int i = 0; i < relays.size(); i++) {
            LOG.infof("xDS relay: %s:%d (plaintext h2c, loopback) -> %s:%d (TLS, server name %s, client certificate"
                    + " %s)", listeners.get(i).listenHost(), relays.get(i).port(), settings.bridgeHost(),
                    settings.bridgePort(), settings.serverName(), settings.certFile());
        }
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
