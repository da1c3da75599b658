package io.meshfed.xds.protocol;

import io.meshfed.xds.cache.ConfigWatcher;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code envoy.service.discovery.v3.AggregatedDiscoveryService} on Vert.x gRPC: {@code StreamAggregatedResources}
 * (state of the world) and {@code DeltaAggregatedResources} (incremental).
 *
 * <p>Messages travel as raw bytes through Vert.x and are parsed and serialized here, so a request that is not a
 * DiscoveryRequest gets a clear INVALID_ARGUMENT and every byte sent is counted.
 */
public final class AdsServer {
    public static final ServiceName SERVICE = ServiceName.create("envoy.service.discovery.v3", "AggregatedDiscoveryService");
    static final ServiceMethod<Buffer, Buffer> SOTW = ServiceMethod.server(SERVICE, "StreamAggregatedResources",
            GrpcMessageEncoder.IDENTITY, GrpcMessageDecoder.IDENTITY);
    static final ServiceMethod<Buffer, Buffer> DELTA = ServiceMethod.server(SERVICE, "DeltaAggregatedResources",
            GrpcMessageEncoder.IDENTITY, GrpcMessageDecoder.IDENTITY);

    /**
     * The HTTP request whose gRPC call is being set up. Vert.x calls the gRPC call handler synchronously inside
     * {@link GrpcServer#handle}, and the call itself does not expose {@code :authority}; it is read from here.
     */
    private static final ThreadLocal<HttpServerRequest> DISPATCHING = new ThreadLocal<>();

    private final ConfigWatcher watcher;
    private final ClusterIdentifier identifier;
    private final XdsMetrics metrics;
    private final ConnectedClients clients;
    private final ClusterStreams clusterStreams;
    private final AdsObserver observer;
    private final AtomicLong streamIds = new AtomicLong();

    /** The most streams one cluster identity may hold open unless configured otherwise. */
    public static final int DEFAULT_MAX_STREAMS_PER_CLUSTER = 1_000;
    /**
     * The largest request a stream accepts. The transport's default (256 KiB) is too small for a Delta client that
     * reconnects: its first request names the version of every resource it holds (about 65 bytes each, so an Envoy
     * holding 10,000 clusters sends ~650 KB), and refusing it would leave that client reconnecting forever.
     * 16 MiB takes ~250,000 held resources and still bounds what one request can make the bridge buffer.
     */
    public static final long MAX_REQUEST_BYTES = 16L << 20;

    public AdsServer(ConfigWatcher watcher, ClusterIdentifier identifier, XdsMetrics metrics, ConnectedClients clients) {
        this(watcher, identifier, metrics, clients, DEFAULT_MAX_STREAMS_PER_CLUSTER);
    }

    /**
     * @param maxStreamsPerCluster the most streams one cluster identity may hold open; a stream beyond it ends
     *     with RESOURCE_EXHAUSTED on its first request
     */
    public AdsServer(ConfigWatcher watcher, ClusterIdentifier identifier, XdsMetrics metrics, ConnectedClients clients,
            int maxStreamsPerCluster) {
        this(watcher, identifier, metrics, clients, maxStreamsPerCluster, AdsObserver.NONE);
    }

    /** @param observer told of every served stream, response and answer (metrics, the istiod condition) */
    public AdsServer(ConfigWatcher watcher, ClusterIdentifier identifier, XdsMetrics metrics, ConnectedClients clients,
            int maxStreamsPerCluster, AdsObserver observer) {
        this.observer = java.util.Objects.requireNonNull(observer, "observer");
        this.watcher = watcher;
        this.identifier = identifier;
        this.metrics = metrics;
        this.clients = clients;
        this.clusterStreams = new ClusterStreams(maxStreamsPerCluster);
    }

    /** The handler to give an HTTP/2 server (plaintext h2c or TLS with ALPN h2). */
    public Handler<HttpServerRequest> requestHandler(Vertx vertx) {
        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions().setMaxMessageSize(MAX_REQUEST_BYTES));
        grpc.callHandler(SOTW, call -> new SotwStream(env(call)).start());
        grpc.callHandler(DELTA, call -> new DeltaStream(env(call)).start());
        return req -> {
            DISPATCHING.set(req);
            try {
                grpc.handle(req);
            } finally {
                DISPATCHING.remove();
            }
        };
    }

    public XdsMetrics metrics() {
        return metrics;
    }

    public ConnectedClients clients() {
        return clients;
    }

    private StreamEnv env(GrpcServerRequest<Buffer, Buffer> call) {
        HttpServerRequest http = DISPATCHING.get();
        String authority = null;
        if (http != null) {
            HostAndPort hp = http.authority();
            authority = hp == null ? null : hp.host();
        }
        SocketAddress remote = call.connection().remoteAddress(true);
        return new StreamEnv(streamIds.incrementAndGet(), call, Vertx.currentContext(), authority,
                call.connection().sslSession(), remote == null ? null : remote.hostAddress(), watcher, identifier,
                metrics, clients, clusterStreams, observer);
    }

    /**
     * One stream's call and the server's shared parts.
     *
     * @param tls the connection's TLS session, null on plaintext
     * @param remoteAddress the IP address the connection came from (the socket's own peer, never a forwarded
     *     header), null when unknown
     */
    record StreamEnv(long id, GrpcServerRequest<Buffer, Buffer> call, Context context, String authority,
            javax.net.ssl.SSLSession tls, String remoteAddress, ConfigWatcher watcher, ClusterIdentifier identifier,
            XdsMetrics metrics, ConnectedClients clients, ClusterStreams clusterStreams, AdsObserver observer) {
    }
}
