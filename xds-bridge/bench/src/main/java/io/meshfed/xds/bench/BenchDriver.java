package io.meshfed.xds.bench;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.meshfed.xds.cache.TypeUrls;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of the scale benchmark, in its own process; it starts each server under test as a child process
 * ({@link BenchServer}) and drives the same clients against both:
 * istiod-like MCP clients (one per cluster, SotW, ServiceEntry, DestinationRule and WorkloadEntry; meshfed only, java-control-plane
 * has no MCP types) and Envoy-like clients (CDS wildcard + EDS of {@code eds-per-client} services, the changed one
 * among them; half SotW, half Delta). It then changes one service's endpoints and measures push-to-ACK per
 * affected client, bytes and CPU of the push, heap per idle stream, and the heap before and after
 * connect/disconnect churn that runs while every client stays connected.
 */
public final class BenchDriver {
    static final String SE = "networking.istio.io/v1/ServiceEntry";
    static final String DR = "networking.istio.io/v1/DestinationRule";
    /** Endpoints and gateway weights: what an endpoint change changes. */
    static final String WE = "networking.istio.io/v1/WorkloadEntry";
    /** The types each istiod-like client subscribes to, the first with its node. */
    static final List<String> MCP_TYPES = List.of(SE, DR, WE);

    public static void main(String[] args) throws Exception {
        Map<String, String> o = options(args);
        // meshfed-envoy: the bridge with Envoy clients only, the like-for-like comparison with java-control-plane
        List<String> impls = List.of(o.getOrDefault("impls", "meshfed,meshfed-envoy,jcp").split(","));
        // --repeats N runs the servers in turn N times (a, b, a, b, ...): this machine's speed drifts by a third
        // within minutes, so each figure is read as a range over repeats taken interleaved, never from one run
        int repeats = Integer.parseInt(o.getOrDefault("repeats", "1"));
        Map<String, Result> results = new LinkedHashMap<>();
        for (int round = 1; round <= repeats; round++) {
            for (String impl : impls) {
                results.put(repeats == 1 ? impl : impl + " (" + round + ")", new BenchDriver(o, impl).run());
                // written after each server too, so a long run that is cut short keeps what it measured
                String partial = report(o, results);
                System.err.println(partial);
                if (o.containsKey("report")) {
                    Files.writeString(Path.of(o.get("report")), partial);
                }
            }
        }
        String report = report(o, results);
        System.out.println(report);
        if (o.containsKey("report")) {
            Files.writeString(Path.of(o.get("report")), report);
        }
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new LinkedHashMap<>(Map.of("clusters", "100", "services", "100", "mcp-clients", "100",
                "envoy-clients", "900", "eds-per-client", "50", "churn", "10000", "changes", "3"));
        List<String> flat = new ArrayList<>();
        for (String a : args) {
            Collections.addAll(flat, a.trim().split("\\s+"));
        }
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            if (!flat.get(i).startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got '" + flat.get(i) + "'");
            }
            m.put(flat.get(i).substring(2), flat.get(i + 1));
        }
        return m;
    }

    record Result(int streams, long heapIdleBytesPerStream, List<Long> pushToAckMicros, List<Long> mcpPushToAckMicros,
            int mcpPushed, int expectedAcks,
            int receivedAcks, long bytesPerChange, double cpuMsPerChange, double translationMsPerChange,
            double compilerMsPerChange, double gcMsPerChange,
            double clientCpuMsPerChange,
            long serializationsPerChange,
            double deltaResourcesPerPush, long heapBeforeChurn, long heapAfterChurn, int churnCycles,
            String loadDuringChanges, double churnSeconds, int churnAnswered, int mcpServiceEntries,
            List<Long> heapOverChanges, int stalledIstiods) {
    }

    /**
     * {@code --heap-changes N} more changes after the measured ones, back to back ({@code --heap-change move}: an
     * endpoint to a new address each time, the default; {@code change}: the readiness flip), with the server's heap
     * after GC before the first and after every tenth of them. Clients keep ACKing (stalled ones never do).
     */
    List<Long> heapOverChanges() throws Exception {
        int n = Integer.parseInt(o.getOrDefault("heap-changes", "0"));
        List<Long> series = new ArrayList<>();
        if (n == 0) {
            return series;
        }
        boolean move = o.getOrDefault("heap-change", "move").equals("move");
        long pauseMillis = Long.parseLong(o.getOrDefault("heap-change-pause-ms", "10"));
        series.add(stats()[0]);
        for (int i = 1; i <= n; i++) {
            if (move) {
                command("move", "MOVED");
            } else {
                command("change", "CHANGED");
            }
            Thread.sleep(pauseMillis);
            if (i % Math.max(1, n / 10) == 0) {
                series.add(stats()[0]);
                System.err.printf("%s %s heap after %d of %d changes: %d MiB%n", java.time.LocalTime.now(), impl, i, n,
                        series.get(series.size() - 1) >> 20);
            }
        }
        return series;
    }

    /** The machine's 1-minute load average, or -1 where /proc/loadavg is not readable. */
    static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    final Map<String, String> o;
    final String impl;
    final int clusters;
    final int services;
    Process server;
    BufferedReader serverOut;
    PrintWriter serverIn;
    int port;
    final List<ManagedChannel> channels = new ArrayList<>();
    final List<Client> clients = new ArrayList<>();
    volatile long changeStart;

    BenchDriver(Map<String, String> o, String impl) {
        this.o = o;
        this.impl = impl;
        this.clusters = Integer.parseInt(o.get("clusters"));
        this.services = Integer.parseInt(o.get("services"));
    }

    Result run() throws Exception {
        startServer();
        try {
            boolean mcp = impl.equals("meshfed") || impl.equals("meshfed-sharded");
            int mcpClients = mcp ? Math.min(clusters, Integer.parseInt(o.get("mcp-clients"))) : 0;
            // meshfed-sharded: every istiod reads its Istio resources over mcp-shards config sources (127.0.K.k)
            int shards = impl.equals("meshfed-sharded") ? Integer.parseInt(o.getOrDefault("mcp-shards", "10")) : 1;
            int envoyClients = Integer.parseInt(o.get("envoy-clients"));
            // istiods that take their first state, then never read or ACK again (a hung istiod)
            int stalledIstiods = Integer.parseInt(o.getOrDefault("stalled-istiods", "0"));
            // warm: one Envoy and one MCP client per cluster, so every node group's snapshot exists
            List<Client> warm = new ArrayList<>();
            for (int c = 0; c < clusters; c++) {
                warm.add(envoy(c, c));
                if (c < mcpClients) {
                    boolean stalled = c < stalledIstiods;
                    if (shards == 1) {
                        warm.add(new McpClient(c, 0, 1, stalled));
                    } else {
                        for (int k = 1; k <= shards; k++) {
                            warm.add(new McpClient(c, k, shards, stalled));
                        }
                    }
                }
            }
            connect(warm);
            long heapWarm = stats()[0];
            List<Client> rest = new ArrayList<>();
            for (int k = clusters; k < envoyClients; k++) {
                rest.add(envoy(k, k % clusters));
            }
            connect(rest);
            long heapAll = stats()[0];
            long perStream = rest.isEmpty() ? 0 : (heapAll - heapWarm) / rest.size();

            // warm-up changes let both servers' JITs settle; they are not counted
            for (int i = 0; i < Integer.parseInt(o.getOrDefault("warmup-changes", "2")); i++) {
                command("change", "CHANGED");
                Thread.sleep(3000);
            }
            clients.stream().filter(c -> c instanceof DeltaEnvoy).forEach(c -> ((DeltaEnvoy) c).resourcesAfterChange.set(0));
            int changes = Integer.parseInt(o.get("changes"));
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            List<Long> mcpLatencies = new ArrayList<>();
            int mcpPushed = 0;
            int expected = 0;
            int received = 0;
            long bytes = 0;
            long cpu = 0;
            long translationCpu = 0;
            long compilerCpu = 0;
            long gcCpu = 0;
            long clientCpu = 0;
            long serializations = 0;
            boolean countsSerializations = true;
            double loadMin = Double.MAX_VALUE;
            double loadMax = 0;
            for (int i = 0; i < changes; i++) {
                double load = loadAverage();
                loadMin = Math.min(loadMin, load);
                loadMax = Math.max(loadMax, load);
                for (Client c : clients) {
                    c.armed = true;
                    c.ackedAt = 0;
                }
                long[] before = cpu();
                long clientBefore = BenchServer.cpuNanos();
                changeStart = System.nanoTime();
                command("change", "CHANGED");
                System.err.printf("%s %s measured change %d%n", java.time.LocalTime.now(), impl, i);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && clients.stream().anyMatch(c -> c.expectsPush() && c.ackedAt == 0)) {
                    Thread.sleep(5);
                }
                // istiods are pushed only if their view changed: wait until they have been quiet for a second
                long lastAck = 0;
                for (long seen = -1; seen != lastAck && System.nanoTime() < deadline; ) {
                    seen = lastAck;
                    Thread.sleep(1000);
                    lastAck = clients.stream().mapToLong(c -> c.ackedAt).max().orElse(0);
                }
                long[] after = cpu();
                clientCpu += BenchServer.cpuNanos() - clientBefore;
                for (Client c : clients) {
                    if (c instanceof McpClient && c.ackedAt != 0) {
                        mcpPushed++;
                        mcpLatencies.add((c.ackedAt - changeStart) / 1000);
                    }
                    if (c.expectsPush()) {
                        expected++;
                        if (c.ackedAt != 0) {
                            received++;
                            latencies.add((c.ackedAt - changeStart) / 1000);
                        }
                    }
                }
                cpu += after[0] - before[0];
                translationCpu += after[3] - before[3];
                compilerCpu += after[4] - before[4];
                gcCpu += after[5] - before[5];
                bytes += after[1] - before[1];
                serializations += after[2] - before[2];
                countsSerializations = before[2] >= 0; // java-control-plane's server cannot tell
            }
            double deltaResources = clients.stream().filter(c -> c instanceof DeltaEnvoy)
                    .mapToDouble(c -> ((DeltaEnvoy) c).resourcesAfterChange.get() / (double) Math.max(1, changes))
                    .average().orElse(0);
            List<Long> heapSeries = heapOverChanges(); // after the measured changes' counts are read
            // churn while every client stays connected, as in a live fleet where proxies come and go
            long heapBeforeChurn = stats()[0];
            int churn = Integer.parseInt(o.get("churn"));
            long churnStart = System.nanoTime();
            churn(churn);
            double churnSeconds = (System.nanoTime() - churnStart) / 1e9;
            long heapAfterChurn = stats()[0];
            // an istiod's state is the sum over its sources
            int mcpServiceEntries = clients.stream().filter(c -> c instanceof McpClient).map(c -> (McpClient) c)
                    .collect(java.util.stream.Collectors.groupingBy(c -> c.cluster,
                            java.util.stream.Collectors.summingInt(c -> c.serviceEntries)))
                    .values().stream().mapToInt(Integer::intValue).min().orElse(0);
            closeClients();
            Collections.sort(latencies);
            Collections.sort(mcpLatencies);
            return new Result(warm.size() + rest.size(), perStream, latencies, mcpLatencies, mcpPushed, expected, received,
                    bytes / Math.max(1, changes), cpu / 1e6 / Math.max(1, changes),
                    translationCpu / 1e6 / Math.max(1, changes), compilerCpu / 1e6 / Math.max(1, changes),
                    gcCpu / 1e6 / Math.max(1, changes), clientCpu / 1e6 / Math.max(1, changes),
                    countsSerializations ? serializations / Math.max(1, changes) : -1, deltaResources, heapBeforeChurn, heapAfterChurn, churn,
                    String.format("%.1f-%.1f", loadMin, loadMax), churnSeconds, churnAnswered.get(),
                    mcpServiceEntries, heapSeries, stalledIstiods);
        } finally {
            closeClients();
            mcpLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            envoyLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            serverIn.println("quit");
            serverIn.flush();
            server.waitFor(10, TimeUnit.SECONDS);
            server.destroy();
        }
    }

    Client envoy(int k, int cluster) {
        return k % 2 == 0 ? new SotwEnvoy(k, cluster) : new DeltaEnvoy(k, cluster);
    }

    void startServer() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // the collector a deployed bridge gets by default (G1 from 2 cores and 2 GiB up); every server gets the same
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + o.getOrDefault("server-heap", "4g"),
                "-XX:+Use" + o.getOrDefault("server-gc", "G1") + "GC"));
        if (o.containsKey("server-jfr")) {
            // a profile of each server, for finding where a push's time goes (JDK Flight Recorder, one file per impl)
            cmd.add("-Xlog:jfr+startup=off"); // its start-up lines would go to stdout, the command channel
            cmd.add("-XX:StartFlightRecording:settings=profile,filename="
                    + Path.of(o.get("server-jfr"), impl + ".jfr").toAbsolutePath());
        }
        if (o.containsKey("server-jvm-args")) {
            // more JVM options for each server, separated by '|' (options are split on spaces); a native profiler's
            // -agentpath, say; "{impl}" in one becomes the server's implementation name, so each writes its own file
            for (String arg : o.get("server-jvm-args").split("\\|")) {
                cmd.add(arg.replace("{impl}", impl));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), BenchServer.class.getName(),
                "--impl", impl.startsWith("meshfed") ? "meshfed" : impl,
                "--clusters", String.valueOf(clusters), "--services", String.valueOf(services),
                "--mcp", String.valueOf(impl.equals("meshfed") || impl.equals("meshfed-sharded")),
                "--event-loops", o.getOrDefault("server-event-loops", "2")));
        server = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        serverOut = new BufferedReader(new InputStreamReader(server.getInputStream()));
        serverIn = new PrintWriter(server.getOutputStream(), true);
        String line = serverOut.readLine();
        if (line == null || !line.startsWith("PORT ")) {
            server.destroyForcibly();
            throw new IllegalStateException(impl + " server did not start: " + line);
        }
        port = Integer.parseInt(line.substring(5));
    }

    String command(String cmd, String expectPrefix) throws Exception {
        serverIn.println(cmd);
        String line = serverOut.readLine();
        // a native agent attached to the server (a profiler) may print its own lines to the server's stdout
        while (line != null && !line.startsWith(expectPrefix) && !line.matches("[A-Z]+( .*)?")) {
            System.err.println(impl + " server printed: " + line);
            line = serverOut.readLine();
        }
        if (line == null || !line.startsWith(expectPrefix)) {
            throw new IllegalStateException(cmd + " -> " + line);
        }
        return line;
    }

    long[] stats() throws Exception {
        String[] p = command("stats", "STATS").split(" ");
        return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3])};
    }

    /**
     * The server's process CPU, bytes sent, resources serialized, translation CPU, and the CPU of its JIT compiler
     * and garbage collector threads so far.
     */
    long[] cpu() throws Exception {
        String[] p = command("cpu", "CPU").split(" ");
        return new long[] {Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]), Long.parseLong(p[4]),
                Long.parseLong(p[5]), Long.parseLong(p[6])};
    }

    /**
     * The istiod-like clients get their own client event loops: in a mesh they are other processes than the
     * Envoys, and parsing an istiod's multi-megabyte full state must not delay the Envoy clients' ACKs here.
     */
    final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup mcpLoops =
            new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(2,
                    new io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory("istiods"));
    final io.grpc.netty.shaded.io.netty.channel.EventLoopGroup envoyLoops =
            new io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup(2,
                    new io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory("envoys"));

    ManagedChannel channel(String authority) {
        return channel(authority, envoyLoops);
    }

    ManagedChannel channel(String authority, io.grpc.netty.shaded.io.netty.channel.EventLoopGroup loops) {
        NettyChannelBuilder b = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().directExecutor()
                .eventLoopGroup(loops).channelType(io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel.class)
                .maxInboundMessageSize(256 * 1024 * 1024);
        if (authority != null) {
            b.overrideAuthority(authority);
        }
        ManagedChannel ch = b.build();
        channels.add(ch);
        return ch;
    }

    private ManagedChannel shared;
    private int onShared;

    ManagedChannel sharedChannel() {
        if (shared == null || onShared++ >= 50) {
            shared = channel(null);
            onShared = 1;
        }
        return shared;
    }

    void connect(List<Client> batch) throws Exception {
        CountDownLatch ready = new CountDownLatch(batch.size());
        for (Client c : batch) {
            c.ready = ready;
            clients.add(c);
            c.start();
        }
        if (!ready.await(600, TimeUnit.SECONDS)) {
            throw new IllegalStateException(impl + ": " + ready.getCount() + " clients got no initial config");
        }
    }

    void closeClients() {
        for (Client c : clients) {
            c.cancel();
        }
        clients.clear();
        for (ManagedChannel ch : channels) {
            ch.shutdownNow();
        }
        channels.clear();
        shared = null;
    }

    /** Churn streams that got their EDS answer; the rest failed or timed out. */
    final java.util.concurrent.atomic.AtomicInteger churnAnswered = new java.util.concurrent.atomic.AtomicInteger();

    void churn(int cycles) throws Exception {
        int wave = 100;
        for (int done = 0; done < cycles; done += wave) {
            ManagedChannel ch = channel(null);
            CountDownLatch answered = new CountDownLatch(wave);
            List<ClientCallStreamObserver<DiscoveryRequest>> calls = new ArrayList<>();
            for (int i = 0; i < wave; i++) {
                int cluster = (done + i) % clusters;
                var holder = new ClientCallStreamObserver[1];
                StreamObserver<DiscoveryRequest> req = AggregatedDiscoveryServiceGrpc.newStub(ch)
                        .streamAggregatedResources(new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
                            public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> s) {
                                holder[0] = s;
                            }

                            public void onNext(DiscoveryResponse r) {
                                if (r.getResourcesCount() == 1) {
                                    churnAnswered.incrementAndGet();
                                }
                                answered.countDown();
                            }

                            public void onError(Throwable t) {
                                answered.countDown();
                            }

                            public void onCompleted() {
                            }
                        });
                req.onNext(DiscoveryRequest.newBuilder().setNode(node("churn-" + done + "-" + i, cluster))
                        .setTypeUrl(TypeUrls.ENDPOINT).addResourceNames(Scenario.edsName(cluster, 0)).build());
                calls.add(holder[0]);
            }
            answered.await(60, TimeUnit.SECONDS);
            for (var c : calls) {
                c.cancel("churn", null);
            }
            ch.shutdownNow();
            channels.remove(ch);
        }
    }

    Node node(String id, int cluster) {
        return Node.newBuilder().setId(id)
                .setLocality(Locality.newBuilder().setRegion(Scenario.locality(cluster).region())
                        .setZone(Scenario.locality(cluster).zone()))
                .setMetadata(Struct.newBuilder().putFields("CLUSTER_ID",
                        Value.newBuilder().setStringValue(Scenario.clusterName(cluster)).build()))
                .build();
    }

    List<String> edsNames(int k) {
        List<String> names = new ArrayList<>();
        names.add(Scenario.changedEdsName());
        int total = clusters * services;
        int want = Math.min(Integer.parseInt(o.get("eds-per-client")), total);
        for (int j = 1; names.size() < want; j++) {
            int idx = (k * 131 + j * 7) % total;
            String n = Scenario.edsName(idx / services, idx % services);
            if (!names.contains(n)) {
                names.add(n);
            }
        }
        return names;
    }

    abstract class Client {
        CountDownLatch ready;
        volatile boolean armed;
        volatile long ackedAt;
        boolean initialized;
        /** The client's ADS call, once started. */
        ClientCallStreamObserver<?> call;

        abstract void start();

        void cancel() {
            if (call != null) {
                call.cancel("done", null);
            }
        }

        boolean expectsPush() {
            return true;
        }

        void initialized() {
            if (!initialized) {
                initialized = true;
                ready.countDown();
            }
        }

        void pushed() {
            if (initialized && armed && ackedAt == 0) {
                ackedAt = System.nanoTime();
                armed = false;
            }
        }
    }

    abstract class SotwClient extends Client {
        StreamObserver<DiscoveryRequest> requests;

        void open(ManagedChannel ch) {
            requests = AggregatedDiscoveryServiceGrpc.newStub(ch).streamAggregatedResources(
                    new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
                        public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> s) {
                            call = s;
                        }

                        public void onNext(DiscoveryResponse r) {
                            onResponse(r);
                        }

                        public void onError(Throwable t) {
                        }

                        public void onCompleted() {
                        }
                    });
        }

        abstract void onResponse(DiscoveryResponse r);

        /** Envoy's default: the node on every request (java-control-plane groups by it on each request). */
        Node everyRequestNode() {
            return Node.getDefaultInstance();
        }

        void ack(DiscoveryResponse r, List<String> names) {
            requests.onNext(DiscoveryRequest.newBuilder().setNode(everyRequestNode()).setTypeUrl(r.getTypeUrl())
                    .setVersionInfo(r.getVersionInfo()).setResponseNonce(r.getNonce()).addAllResourceNames(names).build());
        }
    }

    final class SotwEnvoy extends SotwClient {
        final int k;
        final int cluster;
        final List<String> names;
        ByteString lastChanged;

        final Node node;

        SotwEnvoy(int k, int cluster) {
            this.k = k;
            this.cluster = cluster;
            this.names = edsNames(k);
            this.node = node("envoy-" + k, cluster);
        }

        @Override
        Node everyRequestNode() {
            return node;
        }

        @Override
        void start() {
            open(sharedChannel());
            requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.CLUSTER).build());
        }

        @Override
        void onResponse(DiscoveryResponse r) {
            if (r.getTypeUrl().equals(TypeUrls.CLUSTER)) {
                boolean first = r.getNonce().equals("1") || !initialized && lastChanged == null;
                ack(r, List.of());
                if (first && lastChanged == null) {
                    lastChanged = ByteString.EMPTY;
                    requests.onNext(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.ENDPOINT)
                            .addAllResourceNames(names).build());
                }
                return;
            }
            ByteString changed = ByteString.EMPTY;
            for (Any a : r.getResourcesList()) {
                if (a.getValue().size() > 0 && a.getValue().toStringUtf8().contains(Scenario.changedEdsName())) {
                    changed = a.getValue();
                }
            }
            ack(r, names);
            boolean isChange = initialized && !changed.equals(lastChanged);
            lastChanged = changed;
            if (isChange) {
                pushed();
            }
            initialized();
        }
    }

    /**
     * Opens {@link #MCP_TYPES} on a new stream as istiod's config-source client does: its node (with CLUSTER_ID for a
     * sharded source, whose host is its share's address) on the first request, no version, a timestamp as the nonce.
     */
    static void subscribeAsIstiod(StreamObserver<DiscoveryRequest> requests, int cluster, int shards) {
        Struct.Builder metadata = Struct.newBuilder().putFields("GENERATOR", Value.newBuilder().setStringValue("api")
                .build());
        if (shards > 1) {
            metadata.putFields("CLUSTER_ID", Value.newBuilder().setStringValue(Scenario.clusterName(cluster)).build());
        }
        Node node = Node.newBuilder().setId("sidecar~10.0.0.1~istiod-" + cluster
                + ".istio-system~istio-system.svc.cluster.local").setMetadata(metadata).build();
        for (String type : MCP_TYPES) {
            DiscoveryRequest.Builder q = DiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce("2026-01-01");
            requests.onNext((type.equals(MCP_TYPES.get(0)) ? q.setNode(node) : q).build());
        }
    }

    final class McpClient extends Client {
        final int cluster;
        int answered;
        /** ServiceEntries in the last ServiceEntry response (full state). */
        volatile int serviceEntries;
        StreamObserver<DiscoveryRequest> requests;

        /** Share {@code shard} of {@code shards} (0 of 1: one unsharded source, the cluster named by the host). */
        final int shard;
        final int shards;

        /** Takes its first response of each type, then stops reading: no ACK ever again. */
        final boolean stalled;

        McpClient(int cluster, int shard, int shards, boolean stalled) {
            this.cluster = cluster;
            this.shard = shard;
            this.shards = shards;
            this.stalled = stalled;
        }

        @Override
        void start() {
            ManagedChannel ch = channel(shards == 1 ? Scenario.clusterName(cluster) + ".xds.meshfed.example"
                    : "127.0." + shards + "." + shard, mcpLoops);
            requests = io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
                    ch.newCall(IstiodResponses.method(), io.grpc.CallOptions.DEFAULT),
                    new ClientResponseObserver<DiscoveryRequest, IstiodResponses.Received>() {
                        public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> s) {
                            call = s;
                            if (stalled) {
                                // two messages in, then nothing read: HTTP/2's window fills and the bridge's
                                // writes to it back up, as with an istiod that hangs
                                s.disableAutoRequestWithInitial(MCP_TYPES.size());
                            }
                        }

                        public void onNext(IstiodResponses.Received r) {
                            onResponse(r);
                        }

                        public void onError(Throwable t) {
                        }

                        public void onCompleted() {
                        }
                    });
            subscribeAsIstiod(requests, cluster, shards);
        }

        @Override
        boolean expectsPush() {
            return false;
        }

        void onResponse(IstiodResponses.Received r) {
            if (stalled && answered == MCP_TYPES.size()) {
                return;
            }
            if (stalled) {
                answered++;
                serviceEntries = r.typeUrl().equals(SE) ? r.resources() : serviceEntries;
                if (answered == MCP_TYPES.size()) {
                    initialized(); // and never ACKs
                }
                return;
            }
            requests.onNext(DiscoveryRequest.newBuilder().setTypeUrl(r.typeUrl()).setVersionInfo(r.versionInfo())
                    .setResponseNonce(r.nonce()).build());
            if (r.typeUrl().equals(SE)) {
                serviceEntries = r.resources();
            }
            // an endpoint change arrives as WorkloadEntries (a new or removed service as ServiceEntries too)
            if (initialized && (r.typeUrl().equals(SE) || r.typeUrl().equals(WE))) {
                pushed();
            }
            if (++answered == MCP_TYPES.size()) {
                initialized();
            }
        }
    }

    final class DeltaEnvoy extends Client {
        final int k;
        final int cluster;
        final List<String> names;
        StreamObserver<DeltaDiscoveryRequest> requests;
        final AtomicLong resourcesAfterChange = new AtomicLong();
        final AtomicInteger edsResponses = new AtomicInteger();

        final Node node;

        DeltaEnvoy(int k, int cluster) {
            this.k = k;
            this.cluster = cluster;
            this.names = edsNames(k);
            this.node = node("envoy-" + k, cluster);
        }

        @Override
        void start() {
            requests = AggregatedDiscoveryServiceGrpc.newStub(sharedChannel()).deltaAggregatedResources(
                    new ClientResponseObserver<DeltaDiscoveryRequest, DeltaDiscoveryResponse>() {
                        public void beforeStart(ClientCallStreamObserver<DeltaDiscoveryRequest> s) {
                            call = s;
                        }

                        public void onNext(DeltaDiscoveryResponse r) {
                            onResponse(r);
                        }

                        public void onError(Throwable t) {
                        }

                        public void onCompleted() {
                        }
                    });
            requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node)
                    .setTypeUrl(TypeUrls.CLUSTER).addResourceNamesSubscribe("*").build());
            requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.ENDPOINT)
                    .addAllResourceNamesSubscribe(names).build());
        }

        void onResponse(DeltaDiscoveryResponse r) {
            requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(r.getTypeUrl())
                    .setResponseNonce(r.getNonce()).build());
            if (!r.getTypeUrl().equals(TypeUrls.ENDPOINT)) {
                return;
            }
            if (initialized) {
                resourcesAfterChange.addAndGet(r.getResourcesCount());
                if (r.getResourcesList().stream().anyMatch(x -> x.getName().equals(Scenario.changedEdsName()))) {
                    pushed();
                }
            }
            if (edsResponses.incrementAndGet() >= 1 && r.getResourcesCount() > 0) {
                initialized();
            }
        }
    }

    static long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return -1;
        }
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p * sorted.size()) - 1));
    }

    static String report(Map<String, String> o, Map<String, Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("Scale: ").append(o.get("clusters")).append(" clusters x ").append(o.get("services"))
                .append(" services; ").append(o.get("mcp-clients")).append(" MCP clients (meshfed only), ")
                .append(o.get("envoy-clients")).append(" Envoy clients (half SotW, half Delta) with CDS + EDS of ")
                .append(o.get("eds-per-client")).append(" services; ").append(o.get("changes"))
                .append(" measured endpoint changes after ").append(o.getOrDefault("warmup-changes", "2"))
                .append(" warm-up changes; ").append(o.get("churn")).append(" connect/disconnect cycles.\n\n");
        sb.append("| figure |");
        results.keySet().forEach(k -> sb.append(' ').append(k).append(" |"));
        sb.append("\n|---|");
        results.keySet().forEach(k -> sb.append("---|"));
        sb.append('\n');
        row(sb, results, "streams", r -> String.valueOf(r.streams()));
        row(sb, results, "Envoy push-to-ACK p50 (ms)", r -> ms(percentile(r.pushToAckMicros(), 0.50)));
        row(sb, results, "Envoy push-to-ACK p99 (ms)", r -> ms(percentile(r.pushToAckMicros(), 0.99)));
        row(sb, results, "Envoy clients that ACKed the change / expected", r -> r.receivedAcks() + " / " + r.expectedAcks());
        row(sb, results, "MCP push-to-ACK p50 / p99 (ms)", r -> r.mcpPushed() == 0 ? "n/a (no MCP)"
                : ms(percentile(r.mcpPushToAckMicros(), 0.5)) + " / " + ms(percentile(r.mcpPushToAckMicros(), 0.99))
                        + " (" + r.mcpPushed() + " pushes; each istiod's last state: " + r.mcpServiceEntries()
                        + " ServiceEntries or more)");
        row(sb, results, "bytes sent per change", r -> String.valueOf(r.bytesPerChange()));
        row(sb, results, "server CPU per change (ms)", r -> String.format("%.0f", r.cpuMsPerChange()));
        // the same incremental translation feeds both servers: what is left is each server's own work
        row(sb, results, "of which translating catalogs (ms)", r -> String.format("%.0f", r.translationMsPerChange()));
        // a server that has not finished compiling its hot code pays the JIT, which a long-running one does not
        row(sb, results, "of which JIT compiler threads (ms)", r -> String.format("%.0f", r.compilerMsPerChange()));
        row(sb, results, "of which garbage collector threads (ms)", r -> String.format("%.0f", r.gcMsPerChange()));
        row(sb, results, "of which the rest: snapshots and protocol (ms)", r -> String.format("%.0f",
                r.cpuMsPerChange() - r.translationMsPerChange() - r.compilerMsPerChange() - r.gcMsPerChange()));
        row(sb, results, "server CPU per change without the JIT (ms)",
                r -> String.format("%.0f", r.cpuMsPerChange() - r.compilerMsPerChange()));
        // the clients share the machine's cores with the server: what they spend is taken from it
        row(sb, results, "bench clients' CPU per change (ms)", r -> String.format("%.0f", r.clientCpuMsPerChange()));
        row(sb, results, "resources serialized per change", r -> r.serializationsPerChange() < 0 ? "n/a"
                : String.valueOf(r.serializationsPerChange()));
        row(sb, results, "resources per Delta push", r -> String.format("%.2f", r.deltaResourcesPerPush()));
        row(sb, results, "heap per idle stream (KiB)", r -> String.valueOf(r.heapIdleBytesPerStream() / 1024));
        row(sb, results, "heap before churn (MiB)", r -> String.valueOf(r.heapBeforeChurn() >> 20));
        row(sb, results, "heap after churn (MiB)", r -> String.valueOf(r.heapAfterChurn() >> 20));
        row(sb, results, "churn cycles / answered with their EDS resource / seconds", r -> r.churnCycles() + " / "
                + r.churnAnswered() + " / " + String.format("%.0f", r.churnSeconds()));
        row(sb, results, "load average (1 min) at the measured changes", Result::loadDuringChanges);
        if (results.values().stream().anyMatch(r -> !r.heapOverChanges().isEmpty())) {
            row(sb, results, "istiods stalled (never read or ACK after their first state)",
                    r -> String.valueOf(r.stalledIstiods()));
            row(sb, results, "heap after GC over " + o.get("heap-changes") + " more changes (" + o.getOrDefault(
                    "heap-change", "move") + "), MiB at 0, every tenth", r -> r.heapOverChanges().stream()
                    .map(b -> String.valueOf(b >> 20)).collect(java.util.stream.Collectors.joining(" ")));
        }
        return sb.toString();
    }

    static String ms(long micros) {
        return micros < 0 ? "n/a" : String.format("%.1f", micros / 1000.0);
    }

    static void row(StringBuilder sb, Map<String, Result> results, String name, java.util.function.Function<Result, String> f) {
        sb.append("| ").append(name).append(" |");
        results.values().forEach(r -> sb.append(' ').append(f.apply(r)).append(" |"));
        sb.append('\n');
    }
}
