package io.meshfed.xds.relay;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SSLOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The xDS relay: istiod's {@code xds://} config-source client speaks only plaintext or server-authenticated TLS
 * (istio {@code pilot/pkg/bootstrap/configcontroller.go}, {@code getTransportCredentials}: SIMPLE is the one TLS
 * mode implemented, MUTUAL falls back to insecure), and the bridge requires a client certificate. The relay runs
 * in istiod's pod, accepts istiod's plaintext HTTP/2 (h2c, prior knowledge) on loopback, and forwards every byte to
 * the bridge over TLS (ALPN h2) with this cluster's client certificate, verifying the bridge's certificate against
 * meshfed's root and its server name. HTTP/2 frames are the same over h2c and TLS, so nothing is parsed: one
 * upstream connection per accepted connection, each direction piped with back-pressure, either side's close
 * closing the other.
 *
 * <p>Certificates are short-lived: {@link #reloadCertificates} re-reads the files and, when they changed, new
 * connections use the new ones (connections already open keep theirs until they end).
 */
public final class XdsRelay {
    private static final Logger LOG = Logger.getLogger(XdsRelay.class);

    private final Vertx vertx;
    private final RelaySettings settings;
    private final NetClient client;
    private final AtomicLong connections = new AtomicLong();
    private NetServer server;
    /** SHA-256 of the certificate, key and CA files as the client last loaded them; read and written on reload. */
    private volatile byte[] loaded;

    private XdsRelay(Vertx vertx, RelaySettings settings, byte[] loaded) {
        this.vertx = vertx;
        this.settings = settings;
        this.loaded = loaded;
        this.client = vertx.createNetClient(new NetClientOptions()
                .setSsl(true)
                .setUseAlpn(true)
                .setApplicationLayerProtocols(List.of("h2"))
                .setHostnameVerificationAlgorithm("HTTPS")
                .setConnectTimeout(10_000)
                .setKeyCertOptions(keyCert(settings))
                .setTrustOptions(trust(settings)));
    }

    /** Loads the TLS material (failing on unreadable files), then listens. */
    public static Future<XdsRelay> start(Vertx vertx, RelaySettings settings) {
        return vertx.executeBlocking(() -> fingerprint(settings), false)
                .compose(fingerprint -> {
                    XdsRelay relay = new XdsRelay(vertx, settings, fingerprint);
                    return relay.listen().map(relay);
                });
    }

    private Future<Void> listen() {
        NetServer s = vertx.createNetServer(new NetServerOptions().setHost(settings.listenHost())
                .setPort(settings.listenPort()));
        s.connectHandler(this::relay);
        return s.listen().onSuccess(bound -> server = bound).mapEmpty();
    }

    /** The bound port. */
    public int port() {
        return server.actualPort();
    }

    /** Connections relayed since start. */
    public long connections() {
        return connections.get();
    }

    /**
     * Re-reads the certificate, key and CA files; when any changed, connections opened from now on use them.
     * Completes with whether anything changed; fails (keeping the previous material) when the files cannot be
     * read or do not make a TLS client.
     */
    public Future<Boolean> reloadCertificates() {
        return vertx.executeBlocking(() -> fingerprint(settings), false).compose(fingerprint -> {
            if (Arrays.equals(fingerprint, loaded)) {
                return Future.succeededFuture(false);
            }
            return client.updateSSLOptions(new SSLOptions().setUseAlpn(true).setKeyCertOptions(keyCert(settings))
                    .setTrustOptions(trust(settings)), true).map(updated -> {
                        loaded = fingerprint;
                        LOG.infof("xDS relay: reloaded %s, %s and %s", settings.certFile(), settings.keyFile(),
                                settings.caFile());
                        return true;
                    });
        });
    }

    /** Stops listening; relayed connections end with the Vert.x instance or on their own. */
    public Future<Void> close() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    private void relay(NetSocket inbound) {
        long id = connections.incrementAndGet();
        inbound.pause();
        boolean[] inboundClosed = new boolean[1];
        inbound.closeHandler(v -> inboundClosed[0] = true);
        client.connect(SocketAddress.inetSocketAddress(settings.bridgePort(), settings.bridgeHost()),
                settings.serverName()).onComplete(connected -> {
                    if (connected.failed()) {
                        LOG.warnf("xDS relay connection %d from %s: cannot reach the bridge at %s:%d (server name %s):"
                                + " %s", id, inbound.remoteAddress(), settings.bridgeHost(), settings.bridgePort(),
                                settings.serverName(), reason(connected.cause()));
                        inbound.close();
                        return;
                    }
                    NetSocket upstream = connected.result();
                    if (!"h2".equals(upstream.applicationLayerProtocol())) {
                        LOG.warnf("xDS relay connection %d: the bridge at %s:%d did not agree to HTTP/2 by ALPN (got %s)",
                                id, settings.bridgeHost(), settings.bridgePort(), upstream.applicationLayerProtocol());
                        upstream.close();
                        inbound.close();
                        return;
                    }
                    if (inboundClosed[0]) {
                        upstream.close();
                        return;
                    }
                    LOG.debugf("xDS relay connection %d: %s -> %s:%d over mutual TLS", id, inbound.remoteAddress(),
                            settings.bridgeHost(), settings.bridgePort());
                    inbound.closeHandler(v -> upstream.close());
                    upstream.closeHandler(v -> inbound.close());
                    inbound.pipeTo(upstream);
                    upstream.pipeTo(inbound);
                });
    }

    /** Every message down the cause chain: a failed handshake's own message rarely says why. */
    private static String reason(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            b.append(": ").append(c.getMessage());
        }
        return b.toString();
    }

    private static PemKeyCertOptions keyCert(RelaySettings settings) {
        return new PemKeyCertOptions().setCertPath(settings.certFile().toString())
                .setKeyPath(settings.keyFile().toString());
    }

    private static PemTrustOptions trust(RelaySettings settings) {
        return new PemTrustOptions().addCertPath(settings.caFile().toString());
    }

    private static byte[] fingerprint(RelaySettings settings) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path f : List.of(settings.certFile(), settings.keyFile(), settings.caFile())) {
                sha.update(Files.readAllBytes(f));
            }
            return sha.digest();
        } catch (IOException e) {
            throw new UncheckedIOException("xDS relay: cannot read its TLS material: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
