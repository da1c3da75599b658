package io.meshfed.local;

import io.meshfed.federation.FederationConfig;
import io.meshfed.pki.agent.CaCerts;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;

/**
 * {@code meshfed-local [example-dir] [--state-dir D] [--fresh] [--triggers D] [--host H] [--broker-port P]
 * [--xds-port P] [--xds-max-streams-per-cluster N] [--sync-interval SECONDS] [--verbose]}: runs meshfed on its
 * embedded default, registers the example's clusters, exports their services, signs every cluster's intermediate CA,
 * prints what each istiod receives, and serves until Ctrl-C. Each example keeps its own state directory
 * ({@link StateDirectory}). Nothing is written before the arguments, the example and the ports are checked.
 * Exit code 2: bad arguments, example, state directory or port; 1: start-up failed.
 */
public final class LocalMain {
    private LocalMain() {
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        // jboss-logmanager is on the class path (through the functions' libraries) and serves System.Logger: make
        // it the JUL manager too, before anything logs, so there is one logging configuration.
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        PrintStream out = System.out;
        Path example = Path.of("examples/two-clusters");
        Path state = null;
        boolean fresh = false;
        Path triggers = Path.of("knative/manifests/eventing/triggers");
        String host = "127.0.0.1";
        int brokerPort = 8080;
        int xdsPort = 15010;
        int xdsMaxStreams = io.meshfed.xds.protocol.AdsServer.DEFAULT_MAX_STREAMS_PER_CLUSTER;
        Duration syncInterval = Duration.ofSeconds(60);
        boolean verbose = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--state-dir" -> state = Path.of(value(args, ++i, a));
                    case "--triggers" -> triggers = Path.of(value(args, ++i, a));
                    case "--host" -> host = value(args, ++i, a);
                    case "--broker-port" -> brokerPort = Integer.parseInt(value(args, ++i, a));
                    case "--xds-port" -> xdsPort = Integer.parseInt(value(args, ++i, a));
                    case "--xds-max-streams-per-cluster" -> xdsMaxStreams = Integer.parseInt(value(args, ++i, a));
                    case "--sync-interval" -> syncInterval = Duration.ofSeconds(Long.parseLong(value(args, ++i, a)));
                    case "--verbose", "-v" -> verbose = true;
                    case "--fresh" -> fresh = true;
                    case "--help", "-h" -> {
                        out.println("usage: bin/meshfed-local [example-dir] [--state-dir .meshfed/state/<example>] "
                                + "[--fresh] "
                                + "[--broker-port 8080] [--xds-port 15010] [--xds-max-streams-per-cluster 1000] "
                                + "[--host 127.0.0.1] [--sync-interval 60] "
                                + "[--triggers knative/manifests/eventing/triggers] [--verbose]");
                        return;
                    }
                    default -> {
                        if (a.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + a + " (see --help)");
                        }
                        example = Path.of(a);
                    }
                }
            }
        } catch (NumberFormatException e) {
            System.err.println("meshfed: a port or interval is not a number: " + e.getMessage());
            System.exit(2);
        } catch (IllegalArgumentException e) {
            System.err.println("meshfed: " + e.getMessage());
            System.exit(2);
        }
        quietLogging(verbose);

        List<ExampleCluster> clusters;
        try {
            clusters = ExampleCluster.loadAll(example);
        } catch (ExampleException e) {
            System.err.println("meshfed: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (state == null) {
            state = StateDirectory.defaultFor(example);
        }
        List<String> names = clusters.stream().map(c -> c.cluster().name()).toList();
        try {
            checkPortFree(host, brokerPort, "--broker-port");
            checkPortFree(host, xdsPort, "--xds-port");
            StateDirectory.claim(state, example, names, fresh);
        } catch (ExampleException e) {
            System.err.println("meshfed: " + e.getMessage());
            System.exit(2);
            return;
        }
        out.println("meshfed: example " + example + ": clusters " + names + ", state " + state
                + (fresh ? " (started clean)" : ""));
        LocalMesh mesh;
        try {
            mesh = LocalMesh.start(new LocalMesh.Settings(state, triggers, host, brokerPort, xdsPort, clusters,
                    syncInterval, null, xdsMaxStreams),
                    line -> out.printf("meshfed [%5.1fs] %s%n", (System.nanoTime() - started) / 1e9, line));
        } catch (ExampleException e) {
            System.err.println("meshfed: " + e.getMessage());
            System.exit(2);
            return;
        } catch (java.io.IOException e) {
            System.err.println("meshfed: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("meshfed: stopping");
            mesh.close();
            stopped.countDown();
        }, "meshfed-shutdown"));

        Map<String, String> registered = mesh.registerExamples();
        boolean ok = registered.values().stream().allMatch("io.meshfed.cluster.registered"::equals);
        for (String cluster : mesh.exampleClusters()) {
            if (!"io.meshfed.cluster.registered".equals(registered.get(cluster))) {
                continue;
            }
            Optional<CaCerts> caCerts = mesh.runAgent(cluster);
            if (caCerts.isEmpty()) {
                ok = false;
                out.println("meshfed: ERROR cluster " + cluster + ": no cacerts were written (see the lines above)");
            }
        }
        for (String cluster : mesh.exampleClusters()) {
            FederationConfig config = mesh.istiodConfig(cluster);
            out.println();
            out.println("=== cluster " + cluster + ": what its istiod receives (" + config.serviceEntries().size()
                    + " ServiceEntries, " + config.destinationRules().size() + " DestinationRules, "
                    + config.gateways().size() + " Gateways, " + config.workloadEntries().size()
                    + " WorkloadEntries) from xds://" + cluster + "." + LocalMesh.XDS_HOST_DOMAIN
                    + ":" + mesh.xdsPort());
            out.print(mesh.istiodYaml(cluster));
            out.println("=== cluster " + cluster + ": cacerts (istio-system/cacerts) in "
                    + mesh.caCertsDir(cluster).toAbsolutePath() + ": ca-cert.pem ca-key.pem cert-chain.pem root-cert.pem");
        }
        out.println();
        double seconds = (System.nanoTime() - started) / 1e9;
        out.printf("meshfed: %s in %.1f s: broker %s, xDS %s:%d, state %s. Ctrl-C stops.%n",
                ok ? "ready" : "ready WITH ERRORS (see above)", seconds, mesh.brokerUrl(), host, mesh.xdsPort(),
                state);
        out.println("meshfed: send it CloudEvents with  bin/send-event <event.json>  (examples/requests/); see docs/local-mode.md");
        stopped.await();
    }

    /**
     * Fails before anything is written when {@code port} is taken, so a clash never leaves a half-started state
     * (a new root CA, registrations) behind. Port 0 (any free port) always passes.
     */
    static void checkPortFree(String host, int port, String option) {
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(host, port));
        } catch (java.io.IOException e) {
            throw new ExampleException("port " + port + " on " + host + " is in use: stop what listens there or pass "
                    + option + " <port>");
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    /** The libraries log through JUL; meshfed's progress lines are the output. --verbose shows their INFO logs. */
    static void quietLogging(boolean verbose) {
        System.setProperty("org.jboss.logging.provider", "jdk");
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(verbose ? Level.INFO : Level.WARNING);
        for (var h : root.getHandlers()) {
            h.setLevel(verbose ? Level.INFO : Level.WARNING);
        }
    }
}
