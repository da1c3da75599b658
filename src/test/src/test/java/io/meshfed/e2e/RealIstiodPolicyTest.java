package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.meshfed.e2e.CloudEventsHttp.Answer;
import io.meshfed.e2e.CloudEventsHttp.Mode;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.PeerTls;
import io.meshfed.testsupport.peers.Peers;
import io.meshfed.xds.GrpcXdsWorkload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fleet-wide policies through a real istiod: TrafficPolicies and an AccessPolicy written to local mode's policy
 * directory (and announced with {@code io.meshfed.policy.changed}) reach east's and west's real istiods over MCP, and a
 * proxyless grpc-java client bootstrapped at east's istiod (as in {@link RealIstiodProxylessFailoverTest}) behaves as
 * they say: a 10/90 traffic shift between east's and west's copies of {@code echo}, retries that turn first-attempt
 * failures into successes, a timeout that cuts a slow backend, an abort fault injected into half the calls. What gRPC
 * does not do (hedging, mirroring, retry budgets, outlier detection) is read from istiod's own generated Envoy
 * configuration for a sidecar node; outlier detection, which istiod gives sidecars but not proxyless clients, is
 * also measured by calls: a failing cluster keeps every call of a proxyless client; the AuthorizationPolicy, EnvoyFilter, VirtualService and merged DestinationRule
 * from each istiod's {@code /debug/configz} (west's istiod is the other Istio build, so both builds read them). One
 * fleet, the steps in order, each policy added to those before it.
 *
 * <p>grpc-java reads its xDS bootstrap once per JVM: this class runs in a JVM of its own (surefire reuseForks=false).
 */
@ExtendWith(PeerLogsOnFailure.class)
class RealIstiodPolicyTest {
    static final String TARGET = "xds:///echo.demo.svc.clusterset.local:7070";
    /** Calls measured per ratio, and how far the measured share may be from the configured one (absolute). */
    static final int CALLS = 1000;
    static final double TOLERANCE = 0.04;
    /** How long calls to a failing backend are measured under outlier detection: 10 of its 1 s ejection intervals. */
    static final Duration OUTLIER_WINDOW = Duration.ofSeconds(10);
    private static final Metadata.Key<String> PREVIOUS_ATTEMPTS =
            Metadata.Key.of("grpc-previous-rpc-attempts", Metadata.ASCII_STRING_MARSHALLER);
    private final ObjectMapper json = new ObjectMapper();

    enum Behaviour { ANSWER, FAIL_FIRST_ATTEMPT, SLOW, FAIL }

    /**
     * A backend answering its cluster's name. FAIL_FIRST_ATTEMPT refuses every call that is not a gRPC retry (no
     * {@code grpc-previous-rpc-attempts} header) with RESOURCE_EXHAUSTED, which Istio's default retry conditions leave
     * alone; SLOW answers after 3 s; FAIL refuses every call with INTERNAL (Envoy's 5xx, retried by no policy here).
     */
    static final class Backend implements AutoCloseable {
        final String name;
        final Server server;
        volatile Behaviour behaviour = Behaviour.ANSWER;
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicInteger retries = new AtomicInteger();

        Backend(String name) throws Exception {
            this.name = name;
            ServerServiceDefinition who = ServerServiceDefinition.builder("meshfed.test.Who")
                    .addMethod(GrpcXdsWorkload.WHO, ServerCalls.asyncUnaryCall((req, obs) -> {
                        if (behaviour == Behaviour.SLOW) {
                            try {
                                Thread.sleep(3000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        obs.onNext(name);
                        obs.onCompleted();
                    })).build();
            ServerInterceptor firstAttempts = new ServerInterceptor() {
                @Override
                public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                        ServerCallHandler<Q, A> next) {
                    attempts.incrementAndGet();
                    boolean retry = headers.containsKey(PREVIOUS_ATTEMPTS);
                    if (retry) {
                        retries.incrementAndGet();
                    }
                    if (behaviour == Behaviour.FAIL) {
                        call.close(Status.INTERNAL.withDescription(name + " fails"), new Metadata());
                        return new ServerCall.Listener<>() {
                        };
                    }
                    if (behaviour == Behaviour.FAIL_FIRST_ATTEMPT && !retry) {
                        call.close(Status.RESOURCE_EXHAUSTED.withDescription(name + " refuses first attempts"),
                                new Metadata());
                        return new ServerCall.Listener<>() {
                        };
                    }
                    return next.startCall(call, headers);
                }
            };
            server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                    .addService(ServerInterceptors.intercept(who, firstAttempts)).build().start();
        }

        @Override
        public void close() {
            server.shutdownNow();
        }
    }

    @Test
    void policiesShapeProxylessCallsAndIstiodsGeneratedConfig(@TempDir Path dir) throws Exception {
        String host = RealFleet.hostAddress();
        Path certs = Files.createDirectories(dir.resolve("workload-certs"));
        PeerTls workload = PeerTls.create("workload", List.of("client.demo"), List.of());
        Files.writeString(certs.resolve("cert.pem"), workload.certificatePem());
        Files.writeString(certs.resolve("key.pem"), workload.keyPem());
        Files.writeString(certs.resolve("ca.pem"), workload.caPem());
        try (Backend east = new Backend("east"); Backend west = new Backend("west");
                RealFleet fleet = RealFleet.start(dir, new FlatExample.Pod(host, east.server.getPort()),
                        new FlatExample.Pod(host, west.server.getPort()));
                Istiod eastIstiod = fleet.startIstiod("east", Peers.get().istio(),
                        RealIstiodProxylessFailoverTest.PROXYLESS_ENV);
                Istiod westIstiod = fleet.startIstiod("west", otherIstio(),
                        RealIstiodProxylessFailoverTest.PROXYLESS_ENV)) {
            ManagedChannel channel = GrpcXdsWorkload.istiodChannel(eastIstiod.grpcPort(), "us-east", "us-east-a",
                    TARGET, certs);
            try {
                assertEquals("east", GrpcXdsWorkload.call(channel, 60), "without a policy, the caller's own locality");

                // 1. traffic shift: 10 % to east's copy, 90 % to west's
                apply(fleet, "echo-shift", """
                        destination: {namespace: demo, service: echo}
                        trafficShift: [{cluster: east, weight: 10}, {cluster: west, weight: 90}]
                        """);
                awaitCall(channel, "west"::equals, "the shift reaches the client (a call lands on west)");
                Map<String, Integer> answers = count(channel, CALLS);
                double eastShare = answers.getOrDefault("east", 0) / (double) CALLS;
                assertEquals(CALLS, answers.getOrDefault("east", 0) + answers.getOrDefault("west", 0),
                        "every call answered: " + answers);
                System.out.println("traffic shift 10/90 over " + CALLS + " calls: " + answers);
                assertTrue(Math.abs(eastShare - 0.10) <= TOLERANCE, "east's share of " + CALLS + " calls is "
                        + eastShare + ", expected 0.10 +- " + TOLERANCE + " (4.2 standard deviations): " + answers);

                // 2. retries: first attempts fail with RESOURCE_EXHAUSTED, which Istio's default retries leave alone
                east.behaviour = Behaviour.FAIL_FIRST_ATTEMPT;
                west.behaviour = Behaviour.FAIL_FIRST_ATTEMPT;
                assertEquals("RESOURCE_EXHAUSTED", outcome(channel, 10), "without a retry policy the call fails");
                apply(fleet, "echo-retries", """
                        destination: {namespace: demo, service: echo}
                        retries: {attempts: 2, retryOn: [resource-exhausted]}
                        """);
                awaitCall(channel, who -> who.equals("east") || who.equals("west"), "retries reach the client");
                east.retries.set(0);
                west.retries.set(0);
                for (int i = 0; i < 50; i++) {
                    String who = outcome(channel, 10);
                    assertTrue(who.equals("east") || who.equals("west"), "call " + i + " succeeds on its retry: " + who);
                }
                assertEquals(50, east.retries.get() + west.retries.get(), "each call succeeded on exactly one retry");

                // 3. timeout: a backend that answers after 3 s is cut at 500 ms
                east.behaviour = Behaviour.SLOW;
                west.behaviour = Behaviour.SLOW;
                assertTrue(List.of("east", "west").contains(outcome(channel, 10)), "without a timeout, slow answers come");
                apply(fleet, "echo-timeout", """
                        destination: {namespace: demo, service: echo}
                        timeout: 500ms
                        """);
                awaitCall(channel, "DEADLINE_EXCEEDED"::equals, "the timeout reaches the client");
                Instant start = Instant.now();
                assertEquals("DEADLINE_EXCEEDED", outcome(channel, 10));
                Duration took = Duration.between(start, Instant.now());
                System.out.println("timeout 500ms against a 3 s backend: DEADLINE_EXCEEDED after " + took.toMillis() + " ms");
                assertTrue(took.toMillis() >= 400 && took.toMillis() < 2000, "cut at about 500 ms, took " + took);

                // 4. fault injection: half of the calls aborted with ABORTED (the client's fault filter, no backend)
                east.behaviour = Behaviour.ANSWER;
                west.behaviour = Behaviour.ANSWER;
                apply(fleet, "echo-chaos", """
                        destination: {namespace: demo, service: echo}
                        fault: {abort: {percent: 50, grpcStatus: ABORTED}}
                        """);
                awaitCall(channel, "ABORTED"::equals, "the fault reaches the client");
                Map<String, Integer> outcomes = count(channel, CALLS);
                double aborted = outcomes.getOrDefault("ABORTED", 0) / (double) CALLS;
                System.out.println("fault abort 50 % over " + CALLS + " calls: " + outcomes);
                assertTrue(Math.abs(aborted - 0.50) <= 0.05, "aborted share of " + CALLS + " calls is " + aborted
                        + ", expected 0.50 +- 0.05 (3.2 standard deviations): " + outcomes);
                assertEquals(CALLS, outcomes.getOrDefault("ABORTED", 0) + outcomes.getOrDefault("east", 0)
                        + outcomes.getOrDefault("west", 0), "nothing but aborts and answers: " + outcomes);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            // 5. what gRPC does not do, in istiod's generated config for a sidecar; access in every istiod's store
            apply(fleet, "echo-envoy", """
                    destination: {namespace: demo, service: echo}
                    hedging: {initialRequests: 2}
                    retryBudget: {percent: 25, minRetryConcurrency: 4}
                    mirror: {cluster: west, percent: 5}
                    outlierDetection: {consecutiveErrors: 2, interval: 5s}
                    """);
            applyAccess(fleet, "echo-frontend", """
                    destination: {namespace: demo, service: echo}
                    from: [{namespace: web, serviceAccount: frontend}]
                    to: {ports: [7070]}
                    """);
            String vhostName = "echo.demo.svc.clusterset.local:7070";
            try (SidecarAdsClient sidecar = new SidecarAdsClient(eastIstiod.grpcPort(), "east", "net-flat", "us-east",
                    "us-east-a")) {
                Cluster cluster = awaitCluster(sidecar, "outbound|7070||echo.demo.svc.clusterset.local",
                        c -> c.getCircuitBreakers().getThresholdsList().stream().anyMatch(
                                CircuitBreakers.Thresholds::hasRetryBudget));
                CircuitBreakers.Thresholds thresholds = cluster.getCircuitBreakers().getThresholds(0);
                assertEquals(25.0, thresholds.getRetryBudget().getBudgetPercent().getValue(), "retry budget percent");
                assertEquals(4, thresholds.getRetryBudget().getMinRetryConcurrency().getValue());
                assertEquals(2, cluster.getOutlierDetection().getConsecutive5Xx().getValue(), "outlier detection");
                assertEquals(5, cluster.getOutlierDetection().getInterval().getSeconds());

                VirtualHost vhost = awaitVirtualHost(sidecar, "7070", vhostName, v -> v.hasHedgePolicy());
                assertEquals(2, vhost.getHedgePolicy().getInitialRequests().getValue(), "hedging (the EnvoyFilter)");
                Route route = vhost.getRoutes(0);
                assertEquals("outbound|7070||echo.demo.svc.west.global",
                        route.getRoute().getRequestMirrorPolicies(0).getCluster(), "mirror to west's copy");
                assertEquals(5.0, route.getRoute().getRequestMirrorPolicies(0).getRuntimeFraction().getDefaultValue()
                        .getNumerator() / 10_000.0, 0.001, "5 % mirrored (Istio writes per million)");
                assertEquals(List.of("outbound|7070||echo.demo.svc.east.global:10",
                        "outbound|7070||echo.demo.svc.west.global:90"), route.getRoute().getWeightedClusters()
                        .getClustersList().stream().map(c -> c.getName() + ":" + c.getWeight().getValue()).toList());
                assertTrue(route.getRoute().getRetryPolicy().getRetryOn().contains("resource-exhausted"),
                        route.getRoute().getRetryPolicy().getRetryOn());
                assertEquals(500, route.getRoute().getTimeout().getNanos() / 1_000_000);
            }
            // what a proxyless gRPC server of echo in east (its address, its labels) would enforce: RBAC from the policy
            String rbac = inboundRbac(eastIstiod.grpcPort(), host, east.server.getPort());
            for (String principal : List.of("spiffe://east.e2e.meshfed.example/ns/web/sa/frontend",
                    "spiffe://west.e2e.meshfed.example/ns/web/sa/frontend")) {
                assertTrue(rbac.contains(principal), "the inbound listener's ALLOW RBAC names " + principal + ": " + rbac);
            }
            assertTrue(rbac.contains("action: ALLOW") || !rbac.contains("action:"), rbac);
            for (Istiod istiod : List.of(eastIstiod, westIstiod)) {
                JsonNode ap = awaitConfig(istiod, "AuthorizationPolicy", "demo", "echo.echo-frontend");
                assertEquals(List.of("east.e2e.meshfed.example/ns/web/sa/frontend",
                        "west.e2e.meshfed.example/ns/web/sa/frontend"), strings(ap.at("/spec/rules/0/from/0/source/principals")),
                        istiod.cluster() + ": both clusters' trust domains");
                assertEquals(List.of("7070"), strings(ap.at("/spec/rules/0/to/0/operation/ports")));
                assertEquals("echo", ap.at("/spec/selector/matchLabels/app").asText(), istiod.cluster());
                JsonNode ef = awaitConfig(istiod, "EnvoyFilter", "istio-system", "echo.demo.clusterset");
                assertEquals("VIRTUAL_HOST", ef.at("/spec/configPatches/0/applyTo").asText());
                JsonNode vs = awaitConfig(istiod, "VirtualService", "demo", "echo.clusterset");
                assertEquals("0.500s", vs.at("/spec/http/0/timeout").asText(), istiod.cluster() + " (proto3 JSON)");
                JsonNode dr = awaitConfig(istiod, "DestinationRule", "demo", "echo.clusterset");
                assertEquals(25.0, dr.at("/spec/trafficPolicy/retryBudget/percent").asDouble(), istiod.cluster()
                        + ": the merged DestinationRule replaced federation's");
            }

            // every policy Applied in both clusters, recorded where the CLI reads it; istiod never NACKed
            Map<String, List<PolicyStatus>> statuses = fleet.mesh().policyStatuses();
            for (String policy : List.of("echo-shift", "echo-retries", "echo-timeout", "echo-chaos", "echo-envoy")) {
                List<PolicyStatus> s = statuses.get("TrafficPolicy/" + policy);
                assertEquals(List.of("east:Applied", "west:Applied"), s.stream().map(x -> x.cluster() + ":" + x.state())
                        .toList(), policy + ": " + s);
            }

            // 6. outlier detection: istiod gives sidecars the ejection, proxyless gRPC clients none (its grpc
            // generator's CDS carries TLS, load balancing and circuit breakers only), so a failing cluster keeps
            // every call of a proxyless client
            for (String policy : List.of("echo-shift", "echo-retries", "echo-timeout", "echo-chaos", "echo-envoy")) {
                remove(fleet, policy);
            }
            apply(fleet, "echo-outlier", """
                    destination: {namespace: demo, service: echo}
                    outlierDetection: {consecutiveErrors: 2, interval: 1s, baseEjectionTime: 60s, maxEjectionPercent: 100}
                    """);
            String clustersetCluster = "outbound|7070||echo.demo.svc.clusterset.local";
            try (SidecarAdsClient sidecar = new SidecarAdsClient(eastIstiod.grpcPort(), "east", "net-flat", "us-east",
                    "us-east-a")) {
                Cluster cluster = awaitCluster(sidecar, clustersetCluster, c -> c.getOutlierDetection()
                        .getInterval().getSeconds() == 1 && !c.getCircuitBreakers().getThresholds(0).hasRetryBudget());
                assertEquals(2, cluster.getOutlierDetection().getConsecutive5Xx().getValue(), "a sidecar ejects");
                assertEquals(60, cluster.getOutlierDetection().getBaseEjectionTime().getSeconds());
            }
            Cluster proxyless = grpcNodeCluster(eastIstiod.grpcPort(), clustersetCluster);
            assertTrue(proxyless.hasTransportSocket() && !proxyless.hasOutlierDetection(),
                    "istiod's CDS for a proxyless client: mTLS, no outlier detection: " + proxyless);
            east.behaviour = Behaviour.FAIL;
            channel = GrpcXdsWorkload.istiodChannel(eastIstiod.grpcPort(), "us-east", "us-east-a", TARGET, certs);
            try {
                // the removed shift has reached the client once calls stay in its own locality, east
                Instant deadline = Instant.now().plusSeconds(60);
                int inARow = 0;
                while (inARow < 20) {
                    assertTrue(Instant.now().isBefore(deadline), "calls stay in east (the shift removed) within 60 s");
                    inARow = outcome(channel, 10).equals("INTERNAL") ? inARow + 1 : 0;
                }
                int eastBefore = east.attempts.get();
                int westBefore = west.attempts.get();
                Instant start = Instant.now();
                Map<String, Integer> outcomes = new TreeMap<>();
                while (Duration.between(start, Instant.now()).compareTo(OUTLIER_WINDOW) < 0) {
                    outcomes.merge(outcome(channel, 10), 1, Integer::sum);
                    Thread.sleep(5); // paced (a few hundred calls a second), not to starve a shared machine
                }
                int calls = outcomes.values().stream().mapToInt(Integer::intValue).sum();
                int eastCalls = east.attempts.get() - eastBefore;
                int westCalls = west.attempts.get() - westBefore;
                System.out.println("outlier detection (2 consecutive errors, 1 s interval) over " + OUTLIER_WINDOW
                        + " of a proxyless client's calls to failing east: " + outcomes + ", east received "
                        + eastCalls + ", west " + westCalls);
                assertEquals(Map.of("INTERNAL", calls), outcomes, "every call failed on east");
                assertEquals(calls, eastCalls, "failing east was never ejected: it received every call");
                assertEquals(0, westCalls, "nothing failed over to west");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }

            assertEquals(0, fleet.mesh().xdsMetrics().nacks(), "istiod never NACKs meshfed's config");
        }
    }

    /** The Istio build other than the default one: west's istiod runs it, so both builds read the policies. */
    static Peers.IstioVersion otherIstio() {
        Peers.IstioVersion def = Peers.get().istio();
        return Peers.get().istioVersions().stream().filter(v -> !v.key().equals(def.key())).findFirst()
                .orElseThrow(() -> new AssertionError("the peers build two Istio versions: " + Peers.get().istioVersions()));
    }

    /** Writes a TrafficPolicy to local mode's policy directory and announces it. */
    static void apply(RealFleet fleet, String name, String spec) throws Exception {
        write(fleet, "TrafficPolicy", name, spec);
    }

    static void applyAccess(RealFleet fleet, String name, String spec) throws Exception {
        write(fleet, "AccessPolicy", name, spec);
    }

    /**
     * Deletes a TrafficPolicy from local mode's policy directory and announces it (its last recorded status file
     * stays; what shows the deletion is istiod's config).
     */
    static void remove(RealFleet fleet, String name) throws Exception {
        Files.delete(fleet.mesh().policyDirectory().resolve(name + ".yaml"));
        Answer answer = fleet.events().send(CloudEventsHttp.event("io.meshfed.policy.changed", null, null),
                Mode.BINARY);
        assertTrue(answer.status() / 100 == 2, "policy.changed answered " + answer.status() + ": " + answer.body());
    }

    private static void write(RealFleet fleet, String kind, String name, String spec) throws Exception {
        Files.writeString(fleet.mesh().policyDirectory().resolve(name + ".yaml"), """
                apiVersion: meshfed.io/v1alpha1
                kind: %s
                metadata: {name: %s}
                spec:
                %s""".formatted(kind, name, spec.indent(2)));
        Answer answer = fleet.events().send(CloudEventsHttp.event("io.meshfed.policy.changed", null, null),
                Mode.BINARY);
        assertTrue(answer.status() / 100 == 2, "policy.changed answered " + answer.status() + ": " + answer.body());
        List<PolicyStatus> statuses = fleet.mesh().policyStatuses().get(kind + "/" + name);
        assertTrue(statuses != null && statuses.stream().allMatch(s -> s.state() == PolicyStatus.State.Applied),
                kind + "/" + name + " applies everywhere: " + statuses);
    }

    /** One call with a deadline: the backend's answer, or the status code of the failure. */
    static String outcome(ManagedChannel channel, int seconds) {
        try {
            return ClientCalls.blockingUnaryCall(channel, GrpcXdsWorkload.WHO,
                    CallOptions.DEFAULT.withDeadlineAfter(seconds, TimeUnit.SECONDS), "");
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode().toString();
        }
    }

    static void awaitCall(ManagedChannel channel, Predicate<String> wanted, String what) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        List<String> seen = new java.util.ArrayList<>();
        while (Instant.now().isBefore(deadline)) {
            String o = outcome(channel, 10);
            seen.add(o);
            if (wanted.test(o)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(what + ": not within 60 s; saw " + seen.subList(Math.max(0, seen.size() - 20),
                seen.size()));
    }

    static Map<String, Integer> count(ManagedChannel channel, int calls) {
        Map<String, Integer> out = new TreeMap<>();
        for (int i = 0; i < calls; i++) {
            out.merge(outcome(channel, 10), 1, Integer::sum);
        }
        return out;
    }

    /**
     * The RBAC filters of the inbound listener istiod builds for a proxyless gRPC server of {@code echo} at
     * {@code address}:{@code port} in namespace demo (node metadata as grpc-java's xDS server sends it, with the
     * workload's labels and Istio's mTLS label), as protobuf text; polled until it holds RBAC.
     */
    static String inboundRbac(int istiodPort, String address, int port) throws Exception {
        String name = "xds.istio.io/grpc/lds/inbound/[::]:" + port;
        io.envoyproxy.envoy.config.core.v3.Node node = io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
                .setId("sidecar~" + address + "~echo-1.demo~demo.svc.cluster.local")
                .setMetadata(com.google.protobuf.Struct.newBuilder()
                        .putFields("GENERATOR", text("grpc")).putFields("NAMESPACE", text("demo"))
                        .putFields("ISTIO_VERSION", text("1.31.0"))
                        .putFields("LABELS", com.google.protobuf.Value.newBuilder().setStructValue(
                                com.google.protobuf.Struct.newBuilder().putFields("app", text("echo"))
                                        .putFields("security.istio.io/tlsMode", text("istio"))).build()))
                .build();
        Instant deadline = Instant.now().plusSeconds(60);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            Object answer = ask(istiodPort, node, "type.googleapis.com/envoy.config.listener.v3.Listener", name);
            if (answer instanceof DiscoveryResponse r) {
                StringBuilder out = new StringBuilder();
                for (var any : r.getResourcesList()) {
                    var listener = any.unpack(io.envoyproxy.envoy.config.listener.v3.Listener.class);
                    for (var chain : listener.getFilterChainsList()) {
                        for (var filter : chain.getFiltersList()) {
                            var hcm = filter.getTypedConfig().unpack(io.envoyproxy.envoy.extensions.filters.network
                                    .http_connection_manager.v3.HttpConnectionManager.class);
                            for (var http : hcm.getHttpFiltersList()) {
                                if (http.getName().startsWith("envoy.filters.http.rbac")) {
                                    out.append(http.getName()).append(' ').append(http.getTypedConfig().unpack(
                                            io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.class));
                                }
                            }
                        }
                    }
                }
                last = r.getResourcesCount() + " listeners; " + out;
                if (out.length() > 0) {
                    return out.toString();
                }
            } else {
                last = String.valueOf(answer);
            }
            Thread.sleep(500);
        }
        throw new AssertionError("istiod built no inbound RBAC for a proxyless server of echo at " + address + ":" + port
                + "; last answer: " + last);
    }

    /**
     * One ADS request to istiod as {@code node} for one resource of {@code typeUrl}: the first response, or the
     * stream's error, or null after 30 s.
     */
    static Object ask(int istiodPort, io.envoyproxy.envoy.config.core.v3.Node node, String typeUrl, String name)
            throws InterruptedException {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", istiodPort,
                io.grpc.InsecureChannelCredentials.create()).build();
        try {
            java.util.concurrent.BlockingQueue<Object> answers = new java.util.concurrent.LinkedBlockingQueue<>();
            var requests = io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc.newStub(channel)
                    .streamAggregatedResources(new io.grpc.stub.StreamObserver<DiscoveryResponse>() {
                        @Override
                        public void onNext(DiscoveryResponse r) {
                            answers.add(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                            answers.add(t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            requests.onNext(io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest.newBuilder().setNode(node)
                    .setTypeUrl(typeUrl).addResourceNames(name).build());
            Object answer = answers.poll(30, TimeUnit.SECONDS);
            requests.onCompleted();
            return answer;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** The cluster {@code name} as istiod serves it to a proxyless gRPC client (the bootstrap of istiodChannel). */
    static Cluster grpcNodeCluster(int istiodPort, String name) throws Exception {
        io.envoyproxy.envoy.config.core.v3.Node node = io.envoyproxy.envoy.config.core.v3.Node.newBuilder()
                .setId("sidecar~127.0.0.9~client.demo~demo.svc.cluster.local")
                .setMetadata(com.google.protobuf.Struct.newBuilder().putFields("GENERATOR", text("grpc"))
                        .putFields("NAMESPACE", text("demo")).putFields("ISTIO_VERSION", text("1.31.0")))
                .build();
        Object answer = ask(istiodPort, node, "type.googleapis.com/envoy.config.cluster.v3.Cluster", name);
        if (answer instanceof DiscoveryResponse r) {
            for (var any : r.getResourcesList()) {
                Cluster c = any.unpack(Cluster.class);
                if (c.getName().equals(name)) {
                    return c;
                }
            }
        }
        throw new AssertionError("istiod served a proxyless client no cluster " + name + ": " + answer);
    }

    private static com.google.protobuf.Value text(String s) {
        return com.google.protobuf.Value.newBuilder().setStringValue(s).build();
    }

    /** Re-subscribes until istiod's CDS holds {@code name} passing {@code ok} (istiod pushes after its debounce). */
    static Cluster awaitCluster(SidecarAdsClient sidecar, String name, Predicate<Cluster> ok) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        Cluster last = null;
        while (Instant.now().isBefore(deadline)) {
            DiscoveryResponse r = sidecar.request(SidecarAdsClient.CDS, List.of());
            for (var any : r.getResourcesList()) {
                Cluster c = any.unpack(Cluster.class);
                if (c.getName().equals(name)) {
                    last = c;
                    if (ok.test(c)) {
                        return c;
                    }
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("istiod's CDS for a sidecar never held " + name + " as expected; last: " + last);
    }

    static VirtualHost awaitVirtualHost(SidecarAdsClient sidecar, String routeName, String vhost,
            Predicate<VirtualHost> ok) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        VirtualHost last = null;
        while (Instant.now().isBefore(deadline)) {
            DiscoveryResponse r = sidecar.request("type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                    List.of(routeName));
            for (var any : r.getResourcesList()) {
                for (VirtualHost v : any.unpack(RouteConfiguration.class).getVirtualHostsList()) {
                    if (v.getName().equals(vhost)) {
                        last = v;
                        if (ok.test(v)) {
                            return v;
                        }
                    }
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("istiod's RDS " + routeName + " never held " + vhost + " as expected; last: " + last);
    }

    /** Polls istiod's {@code /debug/configz} for one object of its merged config store. */
    JsonNode awaitConfig(Istiod istiod, String kind, String namespace, String name) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            for (JsonNode c : json.readTree(istiod.get("/debug/configz"))) {
                if (kind.equals(c.path("kind").asText()) && namespace.equals(c.at("/metadata/namespace").asText())
                        && name.equals(c.at("/metadata/name").asText())) {
                    return c;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError(istiod.cluster() + "'s istiod never held " + kind + " " + namespace + "/" + name);
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
