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
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * What state-of-the-world and delta streams share: authenticating the transport when the stream opens (before any
 * request is read), parsing, telling the client's cluster on its first request, the watches (one per kind of
 * configuration asked for), nonces, coalesced snapshot delivery, flow control and release of everything on any kind
 * of end.
 *
 * <p>Flow control ({@link #mayRespond}): per type at most one response is in flight, from when it is written until a
 * request of that type names its nonce (ACK or NACK); and nothing is written while the transport's write queue is
 * full (the client stopped reading), until it drains. A type that may not be written meanwhile only remembers that it
 * has changes held; its next response is built from the newest snapshot when it may be written again. A stream
 * therefore holds at most one built response per type, however many snapshots it misses and whether or not its
 * client reads or answers.
 *
 * <p>Threading: every method except the {@link ConfigWatcher.SnapshotListener} callbacks runs on the stream's Vert.x
 * context, so stream state needs no locks; the callbacks only hand the snapshot over to that context.
 */
abstract class AdsStream<Q extends Message> {
    private static final Logger LOG = Logger.getLogger(AdsStream.class);

    final AdsServer.StreamEnv env;
    final Instant connectedAt = Instant.now();
    Node node;
    /** What the transport proved, checked when the stream opened; null if it was refused. */
    private PeerIdentity peer;
    String cluster;
    /**
     * The client's Envoy group as it asked (cluster and the locality it sent); the group of each kind it reads
     * derives from it. The cache may serve it from another group with the same resources ({@link #served}).
     */
    NodeGroup group;
    /** Whether this stream counts against its cluster's cap of open streams. */
    private boolean countedInCluster;
    /** What kind of client this is, told from its first request. */
    AdsObserver.ClientKind clientKind;
    /** Whether the observer was told this stream is served (and so must be told when it ends). */
    private boolean announced;
    private boolean unknownLocalityReported;
    /** One watch per kind of configuration the client asked for (Envoy, Istio over MCP, or both). */
    private final Map<NodeGroup.Kind, KindWatch> watches = new EnumMap<>(NodeGroup.Kind.class);
    private boolean closed;
    private long nonces;
    /** Responses of this stream written and not yet answered by an ACK or NACK: at most one per type. */
    private int awaitingAnswer;

    /**
     * The watch on one of the client's node groups and the snapshot of it this stream last delivered. Snapshots
     * published later are coalesced: only the newest pending one is delivered.
     */
    private final class KindWatch implements ConfigWatcher.SnapshotListener {
        ConfigWatcher.Watch watch;
        Snapshot snapshot = Snapshot.EMPTY;
        private volatile Snapshot pending;
        private final AtomicBoolean deliveryScheduled = new AtomicBoolean();

        @Override
        public void onSnapshot(Snapshot next) {
            pending = next;
            if (deliveryScheduled.compareAndSet(false, true)) {
                env.context().runOnContext(v -> {
                    deliveryScheduled.set(false);
                    Snapshot s = pending;
                    // Before the watch is handed over, its current() is newer than anything pending.
                    if (closed || watch == null || s == null || s == snapshot) {
                        return;
                    }
                    snapshot = s;
                    noteUnknownLocality();
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
    }

    AdsStream(AdsServer.StreamEnv env) {
        this.env = env;
    }

    abstract String protocol();

    abstract Q parse(Buffer bytes) throws InvalidProtocolBufferException;

    abstract Node nodeOf(Q request);

    abstract String typeUrlOf(Q request);

    /** Handles one request after the client's cluster is known and the group of its type is watched. */
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

    /** The snapshot this stream last delivered for the kind of configuration {@code typeUrl} belongs to. */
    Snapshot snapshotOf(String typeUrl) {
        KindWatch w = watches.get(NodeGroup.Kind.of(typeUrl));
        return w == null ? Snapshot.EMPTY : w.snapshot;
    }

    /** Sends whatever changed for each subscribed type, Envoy types in dependency order first. */
    abstract void pushChanges();

    /**
     * Sends, in push order, the newest state of every type whose changes were held by flow control and that may be
     * written now (its previous response answered); called when the transport's write queue drains.
     */
    abstract void pushHeld();

    abstract Map<String, ClientStatus.TypeStatus> typeStatus();

    /** Starts reading requests; a transport {@link ClusterIdentifier#authenticate} refuses ends the stream at once. */
    void start() {
        env.metrics().streamsOpened.incrementAndGet();
        env.call().handler(this::onBytes);
        env.call().invalidMessageHandler(e -> fail(e instanceof io.vertx.grpc.common.MessageSizeOverflowException big
                ? new XdsStatusException(io.vertx.grpc.common.GrpcStatus.RESOURCE_EXHAUSTED, "a request of "
                        + big.messageSize() + " bytes is larger than the " + AdsServer.MAX_REQUEST_BYTES
                        + " bytes the bridge accepts")
                : XdsStatusException.invalid("the request is not a valid gRPC message: " + e.getMessage())));
        env.call().endHandler(v -> {
            if (!closed) {
                close();
                env.call().response().end();
            }
        });
        env.call().exceptionHandler(t -> close());
        env.call().errorHandler(e -> close());
        env.call().response().exceptionHandler(t -> close());
        env.call().response().drainHandler(v -> onDrain());
        try {
            peer = env.identifier().authenticate(env.tls(), env.remoteAddress());
        } catch (XdsStatusException e) {
            fail(e);
        }
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
                identify(request);
            }
            NodeGroup.Kind kind = NodeGroup.Kind.of(requireTypeUrl(typeUrlOf(request)));
            if (!watches.containsKey(kind)) {
                watchThenHandle(request, group.forType(typeUrlOf(request)));
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

    /** The transport can take writes again: what flow control held goes out now. */
    private void onDrain() {
        if (closed || watches.isEmpty()) {
            return;
        }
        try {
            pushHeld();
            publishStatus();
        } catch (XdsStatusException e) {
            fail(e);
        }
    }

    private String protocolMessage() {
        return "envoy.service.discovery.v3." + ("DELTA".equals(protocol()) ? "DeltaDiscoveryRequest" : "DiscoveryRequest");
    }

    /** Tells the client's cluster from its first request and what the transport proved. */
    private void identify(Q request) {
        Node n = nodeOf(request);
        if (n == null || n.getId().isEmpty()) {
            throw XdsStatusException.invalid("the first request of a stream must carry node.id");
        }
        String c = env.identifier().identify(n, env.authority(), peer);
        if (!env.clusterStreams().tryOpen(c)) {
            throw new XdsStatusException(GrpcStatus.RESOURCE_EXHAUSTED, "cluster '" + c + "' already has "
                    + env.clusterStreams().max() + " open xDS streams, the most the bridge serves per cluster (node '"
                    + n.getId() + "')");
        }
        countedInCluster = true;
        node = n;
        cluster = c;
        shard = Shard.fromAuthority(env.authority()).orElse(null);
        group = new NodeGroup(c, locality(n));
        clientKind = AdsObserver.ClientKind.of(typeUrlOf(request), n);
    }

    /**
     * The node group serving this client's Envoy configuration, or, for a client reading only Istio types, the
     * group it asked as.
     */
    private NodeGroup served() {
        KindWatch w = watches.get(NodeGroup.Kind.ENVOY);
        return w == null || w.watch == null ? group : w.watch.group();
    }

    /**
     * Logs and counts, once per stream, a client served from another locality's group than the one it sent: a
     * locality meshfed does not know (no registered cluster and no exported endpoint is in it), served exactly as
     * its distance to the known ones orders priorities, or one that is not a valid locality.
     */
    private void noteUnknownLocality() {
        NodeGroup s = served();
        if (unknownLocalityReported || s.kind() != NodeGroup.Kind.ENVOY || s.locality().equals(group.locality())) {
            return;
        }
        unknownLocalityReported = true;
        env.metrics().unknownLocalityStreams.incrementAndGet();
        LOG.debugf("stream %d: node %s of cluster %s sent locality '%s', which meshfed does not know; served as %s",
                env.id(), node.getId(), cluster, group.locality(), s);
    }

    /**
     * Opens the watch on a node group off the event loop (a node group's first snapshot is translated then, and a
     * publish may hold the cache), then handles the request; the stream is paused meanwhile, so later requests
     * wait in order.
     */
    private void watchThenHandle(Q request, NodeGroup g) {
        KindWatch kw = new KindWatch();
        env.call().pause();
        env.context().executeBlocking(() -> env.watcher().watch(g, kw), false).onComplete(result -> {
            if (closed) {
                if (result.succeeded()) {
                    result.result().close();
                }
                return;
            }
            if (result.failed()) {
                Throwable t = result.cause();
                if (t instanceof UnknownClusterException) {
                    fail(new XdsStatusException(GrpcStatus.NOT_FOUND, t.getMessage() + " (node '" + node.getId() + "')"));
                } else {
                    LOG.errorf(t, "node %s: cannot open a watch on %s", node.getId(), g);
                    fail(new XdsStatusException(GrpcStatus.UNAVAILABLE, t instanceof SnapshotUnavailableException
                            ? t.getMessage() : "the bridge cannot serve " + g + " right now"));
                }
                return;
            }
            kw.watch = result.result();
            kw.snapshot = kw.watch.current();
            watches.put(g.kind(), kw);
            if (!announced) {
                announced = true;
                env.observer().streamOpened(cluster, clientKind);
            }
            noteUnknownLocality();
            LOG.debugf("stream %d: node %s of cluster %s watches %s (%s)", env.id(), node.getId(), cluster, g, protocol());
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

    /** The one place a protocol error becomes a gRPC status. */
    void fail(XdsStatusException e) {
        if (closed) {
            return;
        }
        LOG.infof("stream %d (node %s, authority %s, from %s) ended with %s: %s", env.id(),
                node == null ? "?" : node.getId(), env.authority(), env.remoteAddress(), e.status(), e.getMessage());
        env.metrics().rejectedStreams.incrementAndGet();
        close();
        env.call().response().status(e.status()).statusMessage(e.getMessage()).end();
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        watches.values().forEach(w -> w.watch.close());
        watches.clear();
        if (countedInCluster) {
            countedInCluster = false;
            env.clusterStreams().close(cluster);
        }
        env.clients().remove(env.id());
        env.metrics().responsesAwaitingAnswer.addAndGet(-awaitingAnswer);
        awaitingAnswer = 0;
        env.metrics().streamsClosed.incrementAndGet();
        if (announced) {
            announced = false;
            env.observer().streamClosed(cluster, clientKind);
        }
    }

    /**
     * Flow control, asked when a response of a type is due: true when it may be written now. It may not while the
     * type's previous response awaits its ACK or NACK (the xDS rule that keeps a slow or stuck client from being
     * sent every intermediate state), nor while the transport's write queue is full (the client is not reading:
     * anything written now would wait in the bridge's memory). A hold is counted; the caller keeps only that the
     * type has changes held, and builds the response from the newest snapshot when the ACK, NACK or drain arrives.
     */
    boolean mayRespond(boolean typeAwaitsAnswer) {
        if (typeAwaitsAnswer) {
            env.metrics().responsesHeldForAnswer.incrementAndGet();
            return false;
        }
        if (env.call().response().writeQueueFull()) {
            env.metrics().responsesHeldForTransport.incrementAndGet();
            return false;
        }
        return true;
    }

    /** What both stream kinds keep per type about the responses they sent and the client's answers to them. */
    abstract static class AnswerState {
        String sentVersion;
        String sentNonce;
        int sentResources;
        String ackedVersion;
        ClientStatus.Nack lastNack;
        /** Whether the response last sent ({@link #sentNonce}) awaits its ACK or NACK. */
        boolean awaitingAnswer;
        /** {@link System#nanoTime} when the response last sent was written. */
        long sentAtNanos;
    }

    /**
     * The client answered the response last sent for {@code typeUrl} (its request names {@code t.sentNonce}): an
     * ACK, or a NACK when {@code error} is not null. Answering a response already answered (a subscription change
     * naming the latest nonce) counts once. Returns whether this released the response in flight.
     */
    boolean answer(String typeUrl, AnswerState t, String nonce, com.google.rpc.Status error) {
        if (!t.awaitingAnswer) {
            return false;
        }
        t.awaitingAnswer = false;
        answered();
        env.observer().answered(cluster, clientKind, typeUrl, error == null, System.nanoTime() - t.sentAtNanos);
        if (error != null) {
            t.lastNack = new ClientStatus.Nack(t.sentVersion, nonce, error.getMessage(), java.time.Instant.now());
            nacked(typeUrl, t.sentVersion, nonce, error.getMessage());
        } else {
            t.ackedVersion = t.sentVersion;
            acked();
        }
        return true;
    }

    /** The share of the Istio resources this stream reads ({@link Shard}); null: all of them. */
    Shard shard;

    /** Whether responses of {@code typeUrl} carry a share of the type's resources on this stream. */
    boolean sharded(String typeUrl) {
        return shard != null && NodeGroup.Kind.of(typeUrl) == NodeGroup.Kind.ISTIO;
    }

    /** A response of the type {@code t} keeps was written and awaits its ACK or NACK. */
    void awaitAnswer(AnswerState t) {
        t.awaitingAnswer = true;
        t.sentAtNanos = System.nanoTime();
        awaitingAnswer++;
        env.metrics().responsesAwaitingAnswer.incrementAndGet();
    }

    /** A response that awaited its ACK or NACK got it. */
    void answered() {
        awaitingAnswer--;
        env.metrics().responsesAwaitingAnswer.decrementAndGet();
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

    void send(String typeUrl, Message response, int resources) {
        send(typeUrl, Unpooled.wrappedBuffer(response.toByteArray()), resources);
    }

    /**
     * Sends an encoded response and counts its bytes as in flight until the connection has written them (or
     * failed to), which is what slow clients hold of the bridge's memory.
     */
    void send(String typeUrl, ByteBuf encoded, int resources) {
        int length = encoded.readableBytes();
        env.metrics().responseBytesInFlight.addAndGet(length);
        Runnable done = () -> {
            env.metrics().responseBytesInFlight.addAndGet(-length);
            encoded.release();
        };
        try {
            env.call().response().write(Buffer.buffer(encoded)).onComplete(ar -> done.run());
        } catch (RuntimeException e) {
            done.run();
            throw e;
        }
        env.metrics().responses.incrementAndGet();
        env.metrics().bytesSent.addAndGet(length);
        env.metrics().resourcesSent.addAndGet(resources);
        env.observer().responseSent(cluster, clientKind, typeUrl, length);
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
        if (closed || watches.isEmpty()) {
            return;
        }
        env.clients().put(new ClientStatus(env.id(), protocol(), node.getId(), cluster, served().toString(), connectedAt,
                new LinkedHashMap<>(typeStatus())));
    }
}
