package io.meshfed.xds.relay;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
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
 *
 * <p>What it does is told to a {@link RelayMetrics}: connections accepted and open, dials of the bridge and why they
 * failed, bytes and HTTP/2 frames per direction (from the frames' 9-byte headers; payloads are not read), the client
 * certificate's validity and its reloads. One relay may listen on several loopback addresses (sharded config
 * sources); they share its one client, certificate and metrics.
 */
public final class XdsRelay {
    private static final Logger LOG = Logger.getLogger(XdsRelay.class);
    /** HTTP/2's client connection preface and an empty SETTINGS frame (RFC 9113, section 3.4). */
    private static final Buffer PREFACE_AND_SETTINGS = Buffer.buffer("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .appendBytes(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});

    private final Vertx vertx;
    private final RelaySettings settings;
    private final RelayMetrics metrics;
    private final Clock clock;
    private final NetClient client;
    private final AtomicLong connections = new AtomicLong();
    private final List<NetServer> servers = new CopyOnWriteArrayList<>();
    /** The event loop context the relay was made on: its servers' and client's. */
    private final Context context;
    /** SHA-256 of the certificate, key and CA files as the client last loaded them; read and written on reload. */
    private volatile byte[] loaded;

    private XdsRelay(Vertx vertx, RelaySettings settings, RelayMetrics metrics, Clock clock, byte[] loaded) {
        this.vertx = vertx;
        this.settings = settings;
        this.metrics = metrics;
        this.clock = clock;
        this.loaded = loaded;
        this.context = vertx.getOrCreateContext();
        this.client = vertx.createNetClient(new NetClientOptions()
                .setSsl(true)
                .setUseAlpn(true)
                .setApplicationLayerProtocols(List.of("h2"))
                .setHostnameVerificationAlgorithm("HTTPS")
                .setConnectTimeout(10_000)
                .setKeyCertOptions(keyCert(settings))
                .setTrustOptions(trust(settings)));
    }

    /** Loads the TLS material (failing on unreadable files), then listens; its metrics are its own. */
    public static Future<XdsRelay> start(Vertx vertx, RelaySettings settings) {
        return start(vertx, List.of(settings), new RelayMetrics(), Clock.systemUTC());
    }

    /**
     * Loads the TLS material of {@code listeners}' first (failing on unreadable files or a certificate that does not
     * parse), then listens on every listener's address, one after the other; every listener dials the first's
     * bridge with the first's certificate.
     */
    public static Future<XdsRelay> start(Vertx vertx, List<RelaySettings> listeners, RelayMetrics metrics,
            Clock clock) {
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("the relay needs an address to listen on");
        }
        RelaySettings settings = listeners.get(0);
        return vertx.executeBlocking(() -> load(settings), false)
                .compose(material -> {
                    metrics.certificateLoaded(material.notBefore(), material.notAfter(), false);
                    XdsRelay relay = new XdsRelay(vertx, settings, metrics, clock, material.fingerprint());
                    Future<Void> listening = Future.succeededFuture();
                    for (RelaySettings listener : listeners) {
                        listening = listening.compose(v -> relay.listen(listener));
                    }
                    return listening.map(relay);
                });
    }

    private Future<Void> listen(RelaySettings listener) {
        NetServer s = vertx.createNetServer(new NetServerOptions().setHost(listener.listenHost())
                .setPort(listener.listenPort()));
        s.connectHandler(this::relay);
        return s.listen().onSuccess(servers::add).mapEmpty();
    }

    /** The bound port (of the first address). */
    public int port() {
        return servers.get(0).actualPort();
    }

    /** The event loop context the relay runs on (a liveness probe runs a task there). */
    public Context context() {
        return context;
    }

    /** What this relay tells: the series its monitor serves. */
    public RelayMetrics metrics() {
        return metrics;
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
        return vertx.executeBlocking(() -> load(settings), false).compose(material -> {
            if (Arrays.equals(material.fingerprint(), loaded)) {
                return Future.succeededFuture(false);
            }
            return client.updateSSLOptions(new SSLOptions().setUseAlpn(true).setKeyCertOptions(keyCert(settings))
                    .setTrustOptions(trust(settings)), true).map(updated -> {
                        loaded = material.fingerprint();
                        metrics.certificateLoaded(material.notBefore(), material.notAfter(), true);
                        LOG.infof("xDS relay: reloaded %s, %s and %s (client certificate valid until %s)",
                                settings.certFile(), settings.keyFile(), settings.caFile(), material.notAfter());
                        return true;
                    });
        }).onFailure(e -> metrics.reloadFailed());
    }

    /**
     * Dials the bridge as a relayed connection would (TLS, the client certificate, ALPN h2), sends HTTP/2's
     * connection preface and waits for the bridge's first bytes (its SETTINGS frame), then closes: whether the bridge
     * is reachable and accepts the certificate now, for readiness when no relayed connection shows it. (With TLS 1.3
     * a client's handshake completes before the server has checked the client certificate; a refusal arrives as an
     * alert after it, so the handshake alone proves nothing.) A failure is counted and its reason kept like any
     * dial's.
     */
    public Future<Void> probeBridge() {
        return client.connect(SocketAddress.inetSocketAddress(settings.bridgePort(), settings.bridgeHost()),
                settings.serverName()).transform(connected -> {
                    if (connected.failed()) {
                        metrics.dialFailed(classify(connected.cause()), clock.instant());
                        return Future.failedFuture(connected.cause());
                    }
                    NetSocket socket = connected.result();
                    if (!"h2".equals(socket.applicationLayerProtocol())) {
                        metrics.dialFailed(RelayMetrics.DialFailure.NO_H2, clock.instant());
                        socket.close();
                        return Future.failedFuture("the bridge did not agree to HTTP/2 by ALPN");
                    }
                    Promise<Void> answered = Promise.promise();
                    Throwable[] failure = new Throwable[1];
                    socket.handler(first -> {
                        if (answered.tryComplete()) {
                            metrics.upstreamReached(clock.instant());
                            socket.close();
                        }
                    });
                    socket.exceptionHandler(e -> failure[0] = e);
                    socket.closeHandler(v -> {
                        if (!answered.future().isComplete()) {
                            RelayMetrics.DialFailure reason = failure[0] == null ? RelayMetrics.DialFailure.OTHER
                                    : classify(failure[0]);
                            metrics.dialFailed(reason, clock.instant());
                            answered.tryFail("the bridge closed the connection before answering: " + reason.label());
                        }
                    });
                    socket.write(PREFACE_AND_SETTINGS);
                    return answered.future();
                });
    }

    /** Stops listening; relayed connections end with the Vert.x instance or on their own. */
    public Future<Void> close() {
        return Future.all(servers.stream().map(NetServer::close).toList()).mapEmpty();
    }

    private void relay(NetSocket inbound) {
        long id = connections.incrementAndGet();
        metrics.accepted();
        inbound.pause();
        boolean[] inboundClosed = new boolean[1];
        inbound.closeHandler(v -> {
            inboundClosed[0] = true;
            metrics.closed();
        });
        // a reset by istiod ends the connection like a close; the close handlers do the rest
        inbound.exceptionHandler(e -> LOG.debugf("xDS relay connection %d: %s", id, e.toString()));
        client.connect(SocketAddress.inetSocketAddress(settings.bridgePort(), settings.bridgeHost()),
                settings.serverName()).onComplete(connected -> {
                    if (connected.failed()) {
                        metrics.dialFailed(classify(connected.cause()), clock.instant());
                        LOG.warnf("xDS relay connection %d from %s: cannot reach the bridge at %s:%d (server name %s):"
                                + " %s", id, inbound.remoteAddress(), settings.bridgeHost(), settings.bridgePort(),
                                settings.serverName(), reason(connected.cause()));
                        inbound.close();
                        return;
                    }
                    NetSocket upstream = connected.result();
                    if (!"h2".equals(upstream.applicationLayerProtocol())) {
                        metrics.dialFailed(RelayMetrics.DialFailure.NO_H2, clock.instant());
                        LOG.warnf("xDS relay connection %d: the bridge at %s:%d did not agree to HTTP/2 by ALPN (got %s)",
                                id, settings.bridgeHost(), settings.bridgePort(), upstream.applicationLayerProtocol());
                        upstream.close();
                        inbound.close();
                        return;
                    }
                    if (inboundClosed[0]) {
                        metrics.upstreamReached(clock.instant());
                        upstream.close();
                        return;
                    }
                    LOG.debugf("xDS relay connection %d: %s -> %s:%d over mutual TLS", id, inbound.remoteAddress(),
                            settings.bridgeHost(), settings.bridgePort());
                    metrics.upstreamOpened();
                    boolean[] answered = new boolean[1];
                    Throwable[] failure = new Throwable[1];
                    upstream.exceptionHandler(e -> failure[0] = e);
                    inbound.closeHandler(v -> {
                        metrics.closed();
                        upstream.close();
                    });
                    upstream.closeHandler(v -> {
                        metrics.upstreamClosed();
                        if (!answered[0] && failure[0] != null) {
                            // refused after the handshake (TLS 1.3 checks the client certificate after it)
                            metrics.dialFailed(classify(failure[0]), clock.instant());
                            LOG.warnf("xDS relay connection %d: the bridge at %s:%d closed it before answering: %s",
                                    id, settings.bridgeHost(), settings.bridgePort(), reason(failure[0]));
                        }
                        inbound.close();
                    });
                    Http2FrameCounter fromBridge = new Http2FrameCounter(metrics, RelayMetrics.Direction.TO_ISTIOD,
                            false);
                    pipe(inbound, upstream, new Http2FrameCounter(metrics, RelayMetrics.Direction.TO_BRIDGE, true)::accept);
                    pipe(upstream, inbound, buffer -> {
                        if (!answered[0]) {
                            answered[0] = true;
                            metrics.upstreamReached(clock.instant());
                        }
                        fromBridge.accept(buffer);
                    });
                });
    }

    /** {@code from}'s bytes to {@code to} as they come, counted; paused while {@code to}'s write queue is full. */
    private static void pipe(NetSocket from, NetSocket to, io.vertx.core.Handler<Buffer> counter) {
        from.handler(buffer -> {
            counter.handle(buffer);
            to.write(buffer);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> from.resume());
            }
        });
        from.endHandler(v -> to.end());
        from.resume();
    }

    /** The reason label of a failed dial, from the exception Vert.x/Netty/the JDK's TLS gave. */
    static RelayMetrics.DialFailure classify(Throwable failure) {
        String messages = "";
        boolean handshake = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof UnknownHostException) {
                return RelayMetrics.DialFailure.UNRESOLVED;
            }
            if (t instanceof io.netty.channel.ConnectTimeoutException) {
                return RelayMetrics.DialFailure.TIMEOUT;
            }
            if (t instanceof ConnectException) {
                return RelayMetrics.DialFailure.REFUSED;
            }
            if (t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof java.security.cert.CertPathBuilderException) {
                return RelayMetrics.DialFailure.UNTRUSTED;
            }
            handshake |= t instanceof SSLException;
            messages += " " + t.getMessage();
        }
        if (messages.contains("No subject alternative DNS name matching")
                || messages.contains("No subject alternative names matching")
                || messages.contains("No name matching")) {
            return RelayMetrics.DialFailure.NAME_MISMATCH;
        }
        if (messages.contains("PKIX path")) {
            return RelayMetrics.DialFailure.UNTRUSTED;
        }
        if (messages.contains("Received fatal alert: bad_certificate")
                || messages.contains("Received fatal alert: unknown_ca")
                || messages.contains("Received fatal alert: certificate_")
                || messages.contains("Received fatal alert: access_denied")) {
            return RelayMetrics.DialFailure.CERTIFICATE_REFUSED;
        }
        return handshake ? RelayMetrics.DialFailure.TLS : RelayMetrics.DialFailure.OTHER;
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

    /** The TLS material as read: a digest of the three files, and the validity of the certificate's leaf. */
    private record Material(byte[] fingerprint, java.time.Instant notBefore, java.time.Instant notAfter) {
    }

    private static Material load(RelaySettings settings) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path f : List.of(settings.certFile(), settings.keyFile(), settings.caFile())) {
                sha.update(Files.readAllBytes(f));
            }
            X509Certificate leaf;
            try (InputStream in = Files.newInputStream(settings.certFile())) {
                leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            } catch (CertificateException e) {
                throw new IllegalStateException("xDS relay: " + settings.certFile() + " holds no PEM certificate: "
                        + e.getMessage(), e);
            }
            return new Material(sha.digest(), leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
        } catch (IOException e) {
            throw new UncheckedIOException("xDS relay: cannot read its TLS material: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
