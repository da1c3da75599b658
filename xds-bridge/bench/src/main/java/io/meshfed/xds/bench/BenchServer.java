package io.meshfed.xds.bench;

import com.google.protobuf.Message;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.xds.bridge.FederationSnapshot;
import io.meshfed.xds.cache.NodeGroup;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.cache.SnapshotSource;
import io.meshfed.xds.cache.TypeUrls;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import io.meshfed.xds.protocol.AdsListener;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.ClusterIdentifier;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One server under test, in its own process, driven over stdin: {@code change}, {@code move} (an endpoint to a new address), {@code cpu}, {@code stats} (after
 * GC), {@code quit}. Answers one line per command on stdout. {@code --impl meshfed} runs the bridge (Envoy types and
 * MCP); {@code --impl jcp} runs java-control-plane's V3DiscoveryServer with a SimpleCache per cluster fed the same
 * Envoy resources from the same translator (it has no MCP types).
 */
public final class BenchServer {
    interface Impl {
        void publish(List<ClusterCatalog> catalogs);

        long bytesSent();

        long serializations();

        /** CPU time spent translating catalogs into resources, over every thread (see {@link TimedSource}). */
        long translationNanos();

        /**
         * Keeps every cluster's node groups built and prepared for istiods reading {@code configSources} sources
         * before their clients connect (a replica standing by); false where the server cannot.
         */
        default boolean standBy(int configSources) {
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = BenchDriver.options(args);
        Scenario scenario = new Scenario(Integer.parseInt(opts.get("clusters")), Integer.parseInt(opts.get("services")));
        String implName = opts.get("impl");
        Impl impl = "jcp".equals(implName) ? jcp(scenario) : meshfed(scenario, !"false".equals(opts.get("mcp")),
                Integer.parseInt(opts.getOrDefault("event-loops", "2")));
        long t0 = System.nanoTime();
        impl.publish(scenario.catalogs());
        System.err.printf("%s: initial publish of %d clusters x %d services took %d ms%n", implName,
                scenario.clusters, scenario.services, (System.nanoTime() - t0) / 1_000_000);
        System.out.println("PORT " + port);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line; (line = in.readLine()) != null;) {
            String[] parts = line.trim().split("\\s+");
            switch (parts[0]) {
                case "change" -> {
                    scenario.change();
                    long start = System.nanoTime();
                    impl.publish(scenario.catalogs());
                    System.err.printf("%s: publish took %d ms%n", implName, (System.nanoTime() - start) / 1_000_000);
                    System.out.println("CHANGED");
                }
                case "move" -> {
                    scenario.move();
                    impl.publish(scenario.catalogs());
                    System.out.println("MOVED");
                }
                case "standby" -> {
                    int sources = Integer.parseInt(parts.length > 1 ? parts[1] : "1");
                    long s0 = System.nanoTime();
                    System.out.println(impl.standBy(sources)
                            ? "STANDBY " + (System.nanoTime() - s0) / 1_000_000 : "ERROR this server cannot stand by");
                }
                case "cpu" -> {
                    long[] jvm = jvmThreadsCpuNanos();
                    System.out.println("CPU " + cpuNanos() + " " + impl.bytesSent() + " " + impl.serializations()
                            + " " + impl.translationNanos() + " " + jvm[0] + " " + jvm[1]);
                }
                case "stats" -> {
                    for (int i = 0; i < 3; i++) {
                        System.gc();
                        Thread.sleep(200);
                    }
                    Runtime rt = Runtime.getRuntime();
                    System.out.println("STATS " + (rt.totalMemory() - rt.freeMemory()) + " " + cpuNanos() + " "
                            + impl.bytesSent() + " " + impl.serializations());
                }
                case "quit" -> {
                    System.out.println("BYE");
                    System.out.flush();
                    System.exit(0);
                }
                default -> System.out.println("ERROR unknown command '" + line + "'");
            }
            System.out.flush();
        }
    }

    static volatile int port;

    /**
     * CPU of the JVM's own threads, from /proc: {JIT compiler threads, garbage collector threads}, in nanoseconds
     * (the kernel counts in clock ticks, 10 ms each). A server still compiling hot code spends on the compiler what
     * a long-running one no longer does; -1 each where /proc cannot tell.
     */
    static long[] jvmThreadsCpuNanos() {
        long compiler = 0;
        long gc = 0;
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return new long[] {-1, -1};
        }
        for (java.io.File task : tasks) {
            try {
                String stat = java.nio.file.Files.readString(task.toPath().resolve("stat"));
                // pid (comm) state ...: comm may hold spaces; the fields after it are space-separated
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String comm = stat.substring(open + 1, close);
                String[] f = stat.substring(close + 2).split(" ");
                long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
                if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
                    compiler += ticks;
                } else if (comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.startsWith("VM Thread")) {
                    gc += ticks;
                }
            } catch (java.io.IOException | RuntimeException e) {
                // the thread ended meanwhile
            }
        }
        long nanosPerTick = 1_000_000_000L / 100; // USER_HZ is 100 on Linux
        return new long[] {compiler * nanosPerTick, gc * nanosPerTick};
    }

    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static Impl meshfed(Scenario scenario, boolean withMcp, int eventLoops) throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, eventLoops)));
        SnapshotCache cache = new SnapshotCache();
        XdsMetrics metrics = new XdsMetrics();
        AdsServer ads = new AdsServer(cache, new ClusterIdentifier("xds.meshfed.example"), metrics, new ConnectedClients());
        EnvoyTranslator envoy = new EnvoyTranslator(EnvoyPolicy.DEFAULT);
        FederationMcpTranslator mcp = withMcp ? FederationMcpTranslator.incremental(new IstioFederationTranslator()) : null;
        AtomicLong translation = new AtomicLong();
        AdsListener listener = AdsListener.listen(vertx, ads, new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                        // clients of the benchmark churn streams on few connections
                        .setHttp2RstFloodMaxRstFramePerWindow(1_000_000), eventLoops)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        port = listener.port();
        return new Impl() {
            public void publish(List<ClusterCatalog> catalogs) {
                cache.publish(new TimedSource(new FederationSnapshot(catalogs, envoy, mcp, Scenario.READ_AT), translation));
            }

            public boolean standBy(int configSources) {
                cache.standBy(io.meshfed.xds.protocol.Shard.preparing(configSources));
                return true;
            }

            public long translationNanos() {
                return translation.get();
            }

            public long bytesSent() {
                return metrics.bytesSent();
            }

            public long serializations() {
                return cache.serializations();
            }
        };
    }

    static Impl jcp(Scenario scenario) throws Exception {
        SimpleCache<String> cache = new SimpleCache<>(node -> node.getMetadata().getFieldsMap().get("CLUSTER_ID").getStringValue());
        V3DiscoveryServer server = new V3DiscoveryServer(cache);
        AtomicLong bytes = new AtomicLong();
        ServerInterceptor counting = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void sendMessage(R message) {
                        bytes.addAndGet(((Message) message).getSerializedSize());
                        super.sendMessage(message);
                    }
                }, headers);
            }
        };
        io.grpc.Server grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(server.getAggregatedDiscoveryServiceImpl(), counting))
                .build().start();
        port = grpc.getPort();
        EnvoyTranslator envoy = new EnvoyTranslator(EnvoyPolicy.DEFAULT);
        AtomicLong translation = new AtomicLong();
        return new Impl() {
            /** Each cluster's resources as last handed to java-control-plane, by type key, then name. */
            final Map<String, Map<String, Map<String, Message>>> held = new HashMap<>();
            TimedSource previous;

            /**
             * The same change stream and the same incremental translation as the bridge: each cluster's resources
             * are the previous generation's with the changes {@link FederationSnapshot#changesSince} names applied
             * (whole only for the first generation), then one java-control-plane snapshot per cluster.
             */
            public void publish(List<ClusterCatalog> catalogs) {
                TimedSource next = new TimedSource(new FederationSnapshot(catalogs, envoy, null, Scenario.READ_AT), translation);
                for (ClusterCatalog c : catalogs) {
                    NodeGroup group = NodeGroup.of(c.clusterName());
                    SnapshotSource.Changes changes = previous == null ? null : next.changesSince(previous, group);
                    Map<String, Map<String, Message>> r;
                    if (changes == null || !held.containsKey(c.clusterName())) {
                        r = new HashMap<>();
                        next.resources(group).forEach((type, byName) -> r.put(type, new HashMap<>(byName)));
                    } else if (changes.put().isEmpty() && changes.removed().isEmpty()) {
                        continue; // nothing of this cluster changed: its snapshot stays
                    } else {
                        r = held.get(c.clusterName());
                        changes.removed().forEach((type, names) -> names.forEach(r.getOrDefault(type, new HashMap<>())::remove));
                        changes.put().forEach((type, byName) -> r.computeIfAbsent(type, t -> new HashMap<>()).putAll(byName));
                    }
                    held.put(c.clusterName(), r);
                    List<Cluster> cds = typed(r.getOrDefault(TypeUrls.CLUSTER, Map.of()));
                    List<ClusterLoadAssignment> eds = typed(r.getOrDefault(TypeUrls.ENDPOINT, Map.of()));
                    List<Listener> lds = typed(r.getOrDefault(TypeUrls.LISTENER, Map.of()));
                    List<RouteConfiguration> rds = typed(r.getOrDefault(TypeUrls.ROUTE, Map.of()));
                    cache.setSnapshot(c.clusterName(), io.envoyproxy.controlplane.cache.v3.Snapshot.create(
                            cds, version(cds), eds, version(eds), lds, version(lds), rds, version(rds), List.of(), "0"));
                }
                previous = next;
            }

            public long bytesSent() {
                return bytes.get();
            }

            public long serializations() {
                return -1;
            }

            public long translationNanos() {
                return translation.get();
            }
        };
    }

    @SuppressWarnings("unchecked")
    static <T> List<T> typed(Map<String, Message> byName) {
        return new ArrayList<>((java.util.Collection<T>) byName.values());
    }

    /** A per-type version from content, so unchanged types are not pushed (fair to java-control-plane). */
    static String version(List<?> resources) {
        return Integer.toHexString(resources.hashCode());
    }
}
