package io.meshfed.xds.bench;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.meshfed.xds.cache.TypeUrls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replica failover: two bridge replicas (two {@link BenchServer} processes) built from the same federation state,
 * every client on replica A; A is killed, and every stream moves to replica B the way its kind of client
 * reconnects. Envoys over state of the world send the version they last ACKed with the same subscription; Envoys
 * over Delta send the versions of every resource they hold ({@code initial_resource_versions}); istiods send what
 * istiod's config-source client sends on a new stream, no version, so they are always answered with their full
 * state. With versions that are content digests, the same on every replica, nothing a client holds is new on B.
 *
 * <p>Counted on B: Delta resources re-sent (a resource the client already held at that version), state-of-the-world
 * responses whose version differs from the one the client ACKed on A (a change it would apply), the same for the
 * istiods, bytes B sent, and the time from the kill until every stream had its answer from B.
 *
 * <p>Options as {@link BenchDriver}'s: {@code --clusters --services --mcp-clients --envoy-clients --eds-per-client
 * --server-heap --impl meshfed|meshfed-sharded --mcp-shards}; {@code --standby false} leaves B cold (by default it
 * stands by before the move, as a deployed replica does: every cluster's groups built and prepared).
 */
public final class FailoverBench {
    private final Map<String, String> o;
    private final BenchDriver a;
    private final BenchDriver b;
    private volatile int targetPort;
    /** Set when the run ends: failed streams are not reopened. */
    private volatile boolean closing;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<Peer> peers = new ArrayList<>();
    /** Resources the Delta clients got again at the version they held, after the move. */
    final AtomicLong deltaResent = new AtomicLong();
    /** Delta resources received after the move at a version the client did not hold. */
    final AtomicLong deltaNew = new AtomicLong();
    /** State-of-the-world responses after the move whose version is not the one the client last ACKed. */
    final AtomicInteger sotwChanged = new AtomicInteger();
    /** State-of-the-world responses after the move carrying the version the client already ACKed. */
    final AtomicInteger sotwSameVersion = new AtomicInteger();
    final AtomicLong sotwSameVersionResources = new AtomicLong();
    final AtomicInteger mcpChanged = new AtomicInteger();
    final AtomicInteger mcpSameVersion = new AtomicInteger();
    final AtomicInteger reconnects = new AtomicInteger();
    /** How long replica B took to build and prepare every cluster's groups before the move; -1: it did not stand by. */
    long standbyMillis = -1;

    FailoverBench(Map<String, String> o) {
        this.o = o;
        String impl = o.getOrDefault("impl", "meshfed-sharded");
        this.a = new BenchDriver(o, impl);
        this.b = new BenchDriver(o, impl);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = BenchDriver.options(args);
        String report = new FailoverBench(o).run();
        System.out.println(report);
        if (o.containsKey("report")) {
            Files.writeString(Path.of(o.get("report")), report);
        }
        System.exit(0);
    }

    String run() throws Exception {
        a.startServer();
        b.startServer();
        try {
            int clusters = a.clusters;
            int mcpClients = Math.min(clusters, Integer.parseInt(o.get("mcp-clients")));
            int shards = "meshfed-sharded".equals(a.impl) ? Integer.parseInt(o.getOrDefault("mcp-shards", "10")) : 1;
            int envoys = Integer.parseInt(o.get("envoy-clients"));
            targetPort = a.port;
            for (int c = 0; c < mcpClients; c++) {
                for (int k = shards == 1 ? 0 : 1; k <= (shards == 1 ? 0 : shards); k++) {
                    peers.add(new Istiod(c, k, shards));
                }
            }
            for (int k = 0; k < envoys; k++) {
                peers.add(k % 2 == 0 ? new SotwEnvoy(k, k % clusters) : new DeltaEnvoy(k, k % clusters));
            }
            peers.forEach(Peer::open);
            waitUntil("every stream has its state from replica A", () -> peers.stream().allMatch(p -> p.settled), 600);
            if (!"false".equals(o.getOrDefault("standby", "true"))) {
                // B stands by as a deployed replica does: every cluster's configuration built before its clients come
                standbyMillis = Long.parseLong(b.command("standby " + shards, "STANDBY").split(" ")[1]);
            }
            long[] before = b.cpu();
            // the move: A dies, every stream fails and its client opens a new one to B
            peers.forEach(Peer::arm);
            targetPort = b.port;
            long killed = System.nanoTime();
            a.server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            waitUntil("every stream has its answers from replica B", () -> peers.stream().allMatch(p -> p.settled), 600);
            // (on a timeout, waitUntil's message names the streams still waiting, by kind)
            double seconds = (System.nanoTime() - killed) / 1e9;
            Thread.sleep(2000); // anything B would still send
            long[] after = b.cpu();
            return report(seconds, after[1] - before[1], after[0] - before[0]);
        } finally {
            closing = true;
            synchronized (channels) {
                channels.forEach(ManagedChannel::shutdownNow);
            }
            for (BenchDriver d : List.of(a, b)) {
                if (d.server != null) {
                    d.server.destroyForcibly();
                }
            }
        }
    }

    private String report(double seconds, long bytes, long cpuNanos) {
        long istiods = peers.stream().filter(p -> p instanceof Istiod).count();
        long sotw = peers.stream().filter(p -> p instanceof SotwEnvoy).count();
        long delta = peers.stream().filter(p -> p instanceof DeltaEnvoy).count();
        StringBuilder sb = new StringBuilder();
        sb.append("Replica failover: ").append(o.get("clusters")).append(" clusters x ").append(o.get("services"))
                .append(" services, ").append(a.impl).append("; streams on replica A, A killed, every stream moved to B.\n\n");
        sb.append("| figure | value |\n|---|---|\n");
        sb.append("| streams moved (istiod MCP / Envoy SotW / Envoy Delta) | ").append(peers.size()).append(" (")
                .append(istiods).append(" / ").append(sotw).append(" / ").append(delta).append(") |\n");
        sb.append("| new streams opened on B | ").append(reconnects.get()).append(" |\n");
        sb.append("| seconds from the kill until every stream had its answers from B | ")
                .append(String.format("%.1f", seconds)).append(" |\n");
        sb.append("| Delta: resources re-sent that the client held at that version | ").append(deltaResent.get()).append(" |\n");
        sb.append("| Delta: resources at a version the client did not hold | ").append(deltaNew.get()).append(" |\n");
        sb.append("| SotW Envoy responses with a version other than the one ACKed on A | ").append(sotwChanged.get()).append(" |\n");
        sb.append("| SotW Envoy responses repeating the ACKed version (resources in them) | ").append(sotwSameVersion.get())
                .append(" (").append(sotwSameVersionResources.get()).append(") |\n");
        sb.append("| istiod responses with a version other than the one ACKed on A | ").append(mcpChanged.get()).append(" |\n");
        sb.append("| istiod responses repeating the ACKed version (full state: istiod sends no version) | ")
                .append(mcpSameVersion.get()).append(" |\n");
        sb.append("| bytes B sent for the move | ").append(bytes).append(" |\n");
        sb.append("| B's CPU for the move (ms) | ").append(cpuNanos / 1_000_000).append(" |\n");
        sb.append("| B standing by: time to build every cluster's groups before the move (ms) | ")
                .append(standbyMillis < 0 ? "did not stand by (--standby false)" : String.valueOf(standbyMillis))
                .append(" |\n");
        return sb.toString();
    }

    private void waitUntil(String what, java.util.function.BooleanSupplier done, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                Map<String, Long> waiting = peers.stream().filter(p -> !p.settled).collect(
                        java.util.stream.Collectors.groupingBy(p -> p.getClass().getSimpleName(),
                                java.util.stream.Collectors.counting()));
                throw new IllegalStateException("not within " + seconds + " s: " + what + "; still waiting: " + waiting
                        + ", new streams opened so far: " + reconnects.get());
            }
            Thread.sleep(20);
        }
    }

    ManagedChannel channel(String authority) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", targetPort).usePlaintext()
                .maxInboundMessageSize(256 * 1024 * 1024);
        if (authority != null) {
            builder.overrideAuthority(authority);
        }
        ManagedChannel ch = builder.build();
        synchronized (channels) {
            channels.add(ch);
        }
        return ch;
    }

    /** A client that reopens its stream on the current target when the stream fails. */
    abstract class Peer {
        /** Whether the stream of the current phase has every answer it waits for. */
        volatile boolean settled;
        /** After the move: counting what B sends. */
        volatile boolean moved;

        abstract void open();

        void arm() {
            settled = false;
            moved = true;
        }

        void failed() {
            if (moved && !closing) {
                reconnects.incrementAndGet();
                open();
            }
        }
    }

    final class Istiod extends Peer {
        final int cluster;
        final int shard;
        final int shards;
        final Map<String, String> acked = new ConcurrentHashMap<>();
        final Map<String, Boolean> answered = new ConcurrentHashMap<>();
        StreamObserver<DiscoveryRequest> requests;

        Istiod(int cluster, int shard, int shards) {
            this.cluster = cluster;
            this.shard = shard;
            this.shards = shards;
        }

        @Override
        void open() {
            answered.clear();
            ManagedChannel ch = channel(shards == 1 ? Scenario.clusterName(cluster) + ".xds.meshfed.example"
                    : "127.0." + shards + "." + shard);
            requests = io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
                    ch.newCall(IstiodResponses.method(), io.grpc.CallOptions.DEFAULT),
                    new ClientResponseObserver<DiscoveryRequest, IstiodResponses.Received>() {
                        public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> s) {
                        }

                        public void onNext(IstiodResponses.Received r) {
                            if (moved) {
                                if (r.versionInfo().equals(acked.get(r.typeUrl()))) {
                                    mcpSameVersion.incrementAndGet();
                                } else {
                                    mcpChanged.incrementAndGet();
                                }
                            }
                            acked.put(r.typeUrl(), r.versionInfo());
                            requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.typeUrl())
                                    .setVersionInfo(r.versionInfo()).setResponseNonce(r.nonce()).build());
                            answered.put(r.typeUrl(), true);
                            settled = answered.size() == BenchDriver.MCP_TYPES.size();
                        }

                        public void onError(Throwable t) {
                            failed();
                        }

                        public void onCompleted() {
                        }
                    });
            BenchDriver.subscribeAsIstiod(requests, cluster, shards);
        }
    }

    final class SotwEnvoy extends Peer {
        final Node node;
        final List<String> names;
        final Map<String, String> acked = new ConcurrentHashMap<>();
        final Map<String, Boolean> answered = new ConcurrentHashMap<>();
        StreamObserver<DiscoveryRequest> requests;

        SotwEnvoy(int k, int cluster) {
            this.node = a.node("envoy-" + k, cluster);
            this.names = a.edsNames(k);
        }

        @Override
        void open() {
            answered.clear();
            requests = AggregatedDiscoveryServiceGrpc.newStub(channel(null)).streamAggregatedResources(
                    new ClientResponseObserver<DiscoveryRequest, io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse>() {
                        public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> s) {
                        }

                        public void onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse r) {
                            onResponse(r);
                        }

                        public void onError(Throwable t) {
                            failed();
                        }

                        public void onCompleted() {
                        }
                    });
            // Envoy on a new stream: the version it last accepted, its subscription, CDS before EDS
            requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.CLUSTER)
                    .setVersionInfo(acked.getOrDefault(TypeUrls.CLUSTER, "")).build());
            requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.ENDPOINT)
                    .setVersionInfo(acked.getOrDefault(TypeUrls.ENDPOINT, "")).addAllResourceNames(names).build());
        }

        void onResponse(io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse r) {
            if (moved) {
                if (r.getVersionInfo().equals(acked.get(r.getTypeUrl()))) {
                    sotwSameVersion.incrementAndGet();
                    sotwSameVersionResources.addAndGet(r.getResourcesCount());
                } else {
                    sotwChanged.incrementAndGet();
                }
            }
            acked.put(r.getTypeUrl(), r.getVersionInfo());
            requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(r.getTypeUrl())
                    .setVersionInfo(r.getVersionInfo()).setResponseNonce(r.getNonce())
                    .addAllResourceNames(r.getTypeUrl().equals(TypeUrls.ENDPOINT) ? names : List.of()).build());
            answered.put(r.getTypeUrl(), true);
            settled = answered.size() == 2;
        }
    }

    final class DeltaEnvoy extends Peer {
        final Node node;
        final List<String> names;
        /** Per type, the version of every resource held. */
        final Map<String, Map<String, String>> held = new ConcurrentHashMap<>();
        final Map<String, Boolean> answered = new ConcurrentHashMap<>();
        StreamObserver<DeltaDiscoveryRequest> requests;

        DeltaEnvoy(int k, int cluster) {
            this.node = a.node("envoy-" + k, cluster);
            this.names = a.edsNames(k);
        }

        @Override
        void open() {
            answered.clear();
            requests = AggregatedDiscoveryServiceGrpc.newStub(channel(null)).deltaAggregatedResources(
                    new ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse>() {
                        public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> s) {
                        }

                        public void onNext(DeltaDiscoveryResponse r) {
                            onResponse(r);
                        }

                        public void onError(Throwable t) {
                            failed();
                        }

                        public void onCompleted() {
                        }
                    });
            requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.CLUSTER)
                    .addResourceNamesSubscribe("*")
                    .putAllInitialResourceVersions(held.getOrDefault(TypeUrls.CLUSTER, Map.of())).build());
            requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.ENDPOINT)
                    .addAllResourceNamesSubscribe(names)
                    .putAllInitialResourceVersions(held.getOrDefault(TypeUrls.ENDPOINT, Map.of())).build());
        }

        void onResponse(DeltaDiscoveryResponse r) {
            Map<String, String> mine = held.computeIfAbsent(r.getTypeUrl(), t -> new HashMap<>());
            for (Resource res : r.getResourcesList()) {
                if (moved) {
                    if (res.getVersion().equals(mine.get(res.getName()))) {
                        deltaResent.incrementAndGet();
                    } else {
                        deltaNew.incrementAndGet();
                    }
                }
                mine.put(res.getName(), res.getVersion());
            }
            r.getRemovedResourcesList().forEach(mine::remove);
            requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(r.getTypeUrl())
                    .setResponseNonce(r.getNonce()).build());
            // the bridge answers every new subscription, with no resources when the client holds them all
            answered.put(r.getTypeUrl(), true);
            settled = answered.size() == 2;
        }
    }
}
