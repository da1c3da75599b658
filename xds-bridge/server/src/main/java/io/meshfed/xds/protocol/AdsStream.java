package io.meshfed.xds.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.meshfed.xds.cache.ConfigWatcher;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.Snapshot;
import io.meshfed.xds.cache.SnapshotUnavailableException;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.cache.UnknownClusterException;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * What state-of-the-world and delta streams share: parsing, telling the client's cluster on its first request,
 * the watch, nonces, coalesced snapshot delivery and release of everything on any kind of end.
 *
 * <p>Threading: every method except the {@link ConfigWatcher.SnapshotListener} callbacks runs on the stream's Vert.x
 * context, so stream state needs no locks; the callbacks only hand the snapshot over to that context.
 */
abstract class AdsStream<Q extends Message> implements ConfigWatcher.SnapshotListener {
    private static final Logger LOG = Logger.getLogger(AdsStream.class);

    final AdsServer.StreamEnv env;
    final Instant connectedAt = Instant.now();
    Node node;
    String cluster;
    NodeGroup group;
    Snapshot snapshot = Snapshot.EMPTY;
    private ConfigWatcher.Watch watch;
    private boolean closed;
    private long nonces;
    private volatile Snapshot pending;
    private final AtomicBoolean deliveryScheduled = new AtomicBoolean();

    AdsStream(AdsServer.StreamEnv env) {
        this.env = env;
    }

    abstract String protocol();

    abstract Q parse(Buffer bytes) throws InvalidProtocolBufferException;

    abstract Node nodeOf(Q request);

    /** Handles one request after the client's cluster is known. */
    abstract void handle(Q request);

    /**
     * The request's type URL, refused when it is empty (an aggregated stream multiplexes types) or names a
     * type the bridge cannot serve ({@link io.meshfed.xds.cache.TypeUrls#key} throws).
     */
    static String requireTypeUrl(String typeUrl) {
        if (typeUrl.isEmpty()) {
            throw XdsStatusException.invalid("type_url is required on an aggregated stream");
        }
        io.meshfed.xds.cache.TypeUrls.key(typeUrl);
        return typeUrl;
    }

    /** Sends whatever changed for each subscribed type, Envoy types in dependency order first. */
    abstract void pushChanges();

    abstract Map<String, ClientStatus.TypeStatus> typeStatus();

    void start() {
        env.metrics().streamsOpened.incrementAndGet();
        env.call().handler(this::onBytes);
        env.call().endHandler(v -> {
            if (!closed) {
                close();
                env.call().response().end();
            }
        });
        env.call().exceptionHandler(t -> close());
        env.call().errorHandler(e -> close());
        env.call().response().exceptionHandler(t -> close());
    }

    private void onBytes(Buffer bytes) {
        if (closed) {
            return;
        }
        try {
            Q request;
            try {
                request = parse(bytes);
            } catch (InvalidProtocolBufferException e) {
                throw XdsStatusException.invalid("request is not a valid " + protocolMessage() + ": " + e.getMessage());
            }
            if (cluster == null) {
                identifyThenHandle(request);
                return;
            }
            handle(request);
            publishStatus();
        } catch (XdsStatusException e) {
            fail(e);
        } catch (TypeUrls.UnknownTypeException e) {
            fail(XdsStatusException.invalid(e.getMessage()));
        }
    }

    private String protocolMessage() {
        return "envoy.service.discovery.v3." + ("DELTA".equals(protocol()) ? "DeltaDiscoveryRequest" : "DiscoveryRequest");
    }

    /**
     * Tells the client's cluster and opens the watch off the event loop (a node group's first snapshot is
     * translated then, and a publish may hold the cache); the stream is paused meanwhile, so later requests wait
     * in order.
     */
    private void identifyThenHandle(Q request) {
        Node n = nodeOf(request);
        if (n == null || n.getId().isEmpty()) {
            throw XdsStatusException.invalid("the first request of a stream must carry node.id");
        }
        String c = env.identifier().identify(n, env.authority(), env.tls());
        NodeGroup g = new NodeGroup(c, locality(n));
        env.call().pause();
        env.context().executeBlocking(() -> env.watcher().watch(g, this), false).onComplete(result -> {
            if (closed) {
                if (result.succeeded()) {
                    result.result().close();
                }
                return;
            }
            if (result.failed()) {
                Throwable t = result.cause();
                if (t instanceof UnknownClusterException) {
                    fail(new XdsStatusException(GrpcStatus.NOT_FOUND, t.getMessage() + " (node '" + n.getId() + "')"));
                } else {
                    LOG.errorf(t, "node %s: cannot open a watch on %s", n.getId(), g);
                    fail(new XdsStatusException(GrpcStatus.UNAVAILABLE, t instanceof SnapshotUnavailableException
                            ? t.getMessage() : "the bridge cannot serve " + g + " right now"));
                }
                return;
            }
            watch = result.result();
            node = n;
            cluster = c;
            group = g;
            snapshot = watch.current();
            LOG.debugf("stream %d: node %s of cluster %s connected (%s)", env.id(), n.getId(), c, protocol());
            try {
                handle(request);
                publishStatus();
            } catch (XdsStatusException e) {
                fail(e);
                return;
            } catch (TypeUrls.UnknownTypeException e) {
                fail(XdsStatusException.invalid(e.getMessage()));
                return;
            }
            env.call().resume();
        });
    }

    private static String locality(Node n) {
        if (!n.hasLocality() || n.getLocality().getRegion().isEmpty()) {
            return "";
        }
        return n.getLocality().getZone().isEmpty() ? n.getLocality().getRegion()
                : n.getLocality().getRegion() + "/" + n.getLocality().getZone();
    }

    @Override
    public void onSnapshot(Snapshot next) {
        pending = next;
        if (deliveryScheduled.compareAndSet(false, true)) {
            env.context().runOnContext(v -> {
                deliveryScheduled.set(false);
                Snapshot s = pending;
                if (closed || s == null || s == snapshot) {
                    return;
                }
                snapshot = s;
                try {
                    pushChanges();
                    publishStatus();
                } catch (XdsStatusException e) {
                    fail(e);
                }
            });
        }
    }

    @Override
    public void onClusterRemoved(String removed) {
        env.context().runOnContext(v -> fail(new XdsStatusException(GrpcStatus.NOT_FOUND,
                "cluster '" + removed + "' was deregistered from meshfed")));
    }

    /** The one place a protocol error becomes a gRPC status. */
    void fail(XdsStatusException e) {
        if (closed) {
            return;
        }
        LOG.infof("stream %d (node %s, authority %s) ended with %s: %s", env.id(),
                node == null ? "?" : node.getId(), env.authority(), e.status(), e.getMessage());
        env.metrics().rejectedStreams.incrementAndGet();
        close();
        env.call().response().status(e.status()).statusMessage(e.getMessage()).end();
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (watch != null) {
            watch.close();
            watch = null;
        }
        env.clients().remove(env.id());
        env.metrics().streamsClosed.incrementAndGet();
    }

    String nextNonce() {
        return Long.toString(++nonces);
    }

    /** True for a nonce this stream issued earlier (a stale ACK/NACK, ignored); false for one it never issued. */
    boolean issuedEarlier(String nonce) {
        try {
            long n = Long.parseLong(nonce);
            return n >= 1 && n <= nonces;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    void send(Message response, int resources) {
        byte[] bytes = response.toByteArray();
        env.call().response().write(Buffer.buffer(bytes));
        env.metrics().responses.incrementAndGet();
        env.metrics().bytesSent.addAndGet(bytes.length);
        env.metrics().resourcesSent.addAndGet(resources);
    }

    void nacked(String typeUrl, String version, String nonce, String error) {
        env.metrics().nacks.incrementAndGet();
        LOG.warnf("NACK from node %s (cluster %s) for %s version %s nonce %s: %s; it keeps its last accepted config",
                node.getId(), cluster, typeUrl, version, nonce, error);
    }

    void acked() {
        env.metrics().acks.incrementAndGet();
    }

    private void publishStatus() {
        if (closed || cluster == null) {
            return;
        }
        env.clients().put(new ClientStatus(env.id(), protocol(), node.getId(), cluster, group.toString(), connectedAt,
                new LinkedHashMap<>(typeStatus())));
    }
}
