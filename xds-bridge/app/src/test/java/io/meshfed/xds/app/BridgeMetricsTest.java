package io.meshfed.xds.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The bridge's {@code GET /metrics} as Prometheus scrapes it, moved by real ADS traffic (grpc-java clients): an
 * istiod of east whose ServiceEntries it NACKs and DestinationRules it ACKs, a proxyless gRPC client of east ACKing
 * its clusters, and the istiod's stream closing. Every series and label docs/observability.md names for the bridge is
 * checked against what the traffic did, as differences from a scrape before it. The last scrape is written to
 * {@code target/metrics/xds-bridge.txt}, where the chart's dashboard and alert check (observability/) reads it.
 */
@QuarkusTest
@QuarkusTestResource(value = ManagementClusterResource.class, restrictToAnnotatedClass = true)
class BridgeMetricsTest {
    static final String SE = "networking.istio.io/v1/ServiceEntry";
    static final String DR = "networking.istio.io/v1/DestinationRule";
    static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";

    @Inject
    XdsListener listener;

    @TestHTTPResource("/")
    URL root;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void adsTrafficMovesTheLabelledSeries() throws Exception {
        // streams of earlier tests in this app have ended (their channels were shut down)
        Scrape before = awaitScrape("no stream of east open", s -> java.util.stream.Stream.of("istiod", "envoy", "grpc")
                .allMatch(k -> s.value("meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"" + k + "\"") == 0));
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", listener.port(),
                InsecureChannelCredentials.create()).overrideAuthority("east.xds.meshfed.example:15010").build();
        try {
            BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
            CompletableFuture<Status> istiodEnd = new CompletableFuture<>();
            StreamObserver<DiscoveryRequest> istiod = AggregatedDiscoveryServiceGrpc.newStub(channel)
                    .streamAggregatedResources(collect(responses, istiodEnd));
            Node istiodNode = Node.newBuilder()
                    .setId("sidecar~10.1.0.5~istiod-1.istio-system~istio-system.svc.cluster.local").build();
            istiod.onNext(DiscoveryRequest.newBuilder().setTypeUrl(SE).setNode(istiodNode).build());
            DiscoveryResponse se = BridgeAppTest.next(responses);
            istiod.onNext(DiscoveryRequest.newBuilder().setTypeUrl(SE).setVersionInfo("")
                    .setResponseNonce(se.getNonce()).setErrorDetail(com.google.rpc.Status.newBuilder()
                            .setCode(3).setMessage("refused by the test")).build());
            istiod.onNext(DiscoveryRequest.newBuilder().setTypeUrl(DR).build());
            DiscoveryResponse dr = BridgeAppTest.next(responses);
            istiod.onNext(BridgeAppTest.ack(dr));

            BlockingQueue<DiscoveryResponse> grpcResponses = new LinkedBlockingQueue<>();
            StreamObserver<DiscoveryRequest> grpc = AggregatedDiscoveryServiceGrpc.newStub(channel)
                    .streamAggregatedResources(collect(grpcResponses, new CompletableFuture<>()));
            grpc.onNext(DiscoveryRequest.newBuilder().setTypeUrl(CDS).setNode(Node.newBuilder()
                    .setId("sidecar~10.1.0.7~echo-1.demo~demo.svc.cluster.local").setUserAgentName("gRPC Java")
                    .setUserAgentVersion("1.80.0")).addResourceNames("*").build());
            DiscoveryResponse cds = BridgeAppTest.next(grpcResponses);
            grpc.onNext(BridgeAppTest.ack(cds));

            // every response counted was received (a change of the store may push a type again meanwhile)
            Scrape during = awaitScrape("the ACKs and the NACK counted, every push received", s ->
                    count(s, "ServiceEntry") - count(before, "ServiceEntry") == 1
                    && count(s, "DestinationRule") - count(before, "DestinationRule") == 1
                    && count(s, "Cluster") - count(before, "Cluster") == 1
                    && java.util.stream.Stream.of("ServiceEntry", "DestinationRule", "Cluster").allMatch(t ->
                            s.value("meshfed_xds_pushes_total", "cluster=\"east\"", "type=\"" + t + "\"")
                            - before.value("meshfed_xds_pushes_total", "cluster=\"east\"", "type=\"" + t + "\"")
                            == received(t).size()));
            assertDelta(1, before, during, "meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"istiod\"");
            assertDelta(1, before, during, "meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"grpc\"");
            assertDelta(0, before, during, "meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"envoy\"");
            assertTrue(received("ServiceEntry").size() >= 1 && received("DestinationRule").size() >= 1
                    && received("Cluster").size() >= 1, "pushes of each type counted: " + received);
            assertDelta(1, before, during, "meshfed_xds_rejects_total", "cluster=\"east\"", "type=\"ServiceEntry\"");
            assertTrue(during.has("meshfed_xds_rejects_total", "cluster=\"east\"", "type=\"DestinationRule\""),
                    "a type pushed has its NACK counter, at 0 until a NACK");
            assertDelta(0, before, during, "meshfed_xds_rejects_total", "cluster=\"east\"", "type=\"DestinationRule\"");
            for (String t : List.of("ServiceEntry", "DestinationRule", "Cluster")) {
                assertDelta(received(t).stream().mapToInt(Integer::intValue).sum(), before, during,
                        "meshfed_xds_sent_bytes_total", "type=\"" + t + "\"");
            }
            // the histogram: one observation per answered response, each under 30 s and so in the largest bucket
            assertDelta(1, before, during, "meshfed_xds_push_ack_seconds_bucket", "type=\"ServiceEntry\"", "le=\"30.0\"");
            assertDelta(1, before, during, "meshfed_xds_push_ack_seconds_bucket", "type=\"ServiceEntry\"", "le=\"+Inf\"");
            double sum = during.value("meshfed_xds_push_ack_seconds_sum", "type=\"Cluster\"")
                    - before.value("meshfed_xds_push_ack_seconds_sum", "type=\"Cluster\"");
            assertTrue(sum > 0 && sum < 30, "the CDS ACK's latency: " + sum);
            // what the bridge's watch read of the registered clusters (no status in this store: not reachable)
            assertEquals(0.0, during.value("meshfed_cluster_api_reachable", "cluster=\"east\""));
            assertTrue(during.has("meshfed_catalog_age_seconds", "cluster=\"east\""), during.text());
            assertTrue(during.value("meshfed_catalog_age_seconds", "cluster=\"east\"") >= 0);

            // istiod goes away: its stream closes, the grpc client's stays
            istiod.onCompleted();
            istiodEnd.get(15, TimeUnit.SECONDS);
            Scrape after = awaitScrape("the istiod's stream counted closed",
                    s -> s.value("meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"istiod\"")
                            == before.value("meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"istiod\""));
            assertDelta(1, before, after, "meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"grpc\"");
            assertTrue(after.has("meshfed_xds_connected_clients", "cluster=\"east\"", "kind=\"istiod\""),
                    "no istiod connected is a 0, not a missing series");
            grpc.onCompleted();

            Path out = Path.of("target/metrics/xds-bridge.txt");
            Files.createDirectories(out.getParent());
            Files.writeString(out, after.text());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void liveReadyAndNoMoreDebugMetrics() throws Exception {
        assertEquals(200, get("/q/health/live").statusCode());
        HttpResponse<String> ready = get("/q/health/ready");
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"ads\""), ready.body());
        assertEquals(404, get("/debug/metrics").statusCode(), "the counters moved to /metrics");
        HttpResponse<String> metrics = get("/metrics");
        assertTrue(metrics.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"),
                "Prometheus' text format when asked for it: " + metrics.headers());
        Scrape s = Scrape.of(metrics.body());
        assertTrue(s.has("meshfed_xds_responses_awaiting_answer"), metrics.body());
        assertTrue(s.has("meshfed_xds_rejected_streams_total"), metrics.body());
    }

    /** Encoded sizes of the responses the clients received, by type label. */
    final Map<String, List<Integer>> received = new ConcurrentHashMap<>();

    private List<Integer> received(String type) {
        return received.getOrDefault(type, List.of());
    }

    private StreamObserver<DiscoveryResponse> collect(BlockingQueue<DiscoveryResponse> q, CompletableFuture<Status> end) {
        StreamObserver<DiscoveryResponse> queue = BridgeAppTest.collect(q, end);
        return new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse r) {
                String type = r.getTypeUrl().substring(Math.max(r.getTypeUrl().lastIndexOf('/'),
                        r.getTypeUrl().lastIndexOf('.')) + 1);
                received.computeIfAbsent(type, k -> new CopyOnWriteArrayList<>()).add(r.getSerializedSize());
                queue.onNext(r);
            }

            @Override
            public void onError(Throwable t) {
                queue.onError(t);
            }

            @Override
            public void onCompleted() {
                queue.onCompleted();
            }
        };
    }

    private static double count(Scrape s, String type) {
        return s.value("meshfed_xds_push_ack_seconds_count", "type=\"" + type + "\"");
    }

    private static void assertDelta(double expected, Scrape before, Scrape after, String name, String... labels) {
        assertEquals(expected, after.value(name, labels) - before.value(name, labels), Scrape.key(name, labels)
                + " before:\n" + lines(before, name) + "after:\n" + lines(after, name));
    }

    private static String lines(Scrape s, String name) {
        StringBuilder out = new StringBuilder();
        s.samples().forEach((k, v) -> {
            if (k.startsWith(name)) {
                out.append(k).append(' ').append(v).append('\n');
            }
        });
        return out.toString();
    }

    private Scrape awaitScrape(String what, Predicate<Scrape> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Scrape s = scrape();
            if (done.test(s)) {
                return s;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what + "\n" + s.text());
            }
            Thread.sleep(50);
        }
    }

    private Scrape scrape() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode(), r.body());
        return Scrape.of(r.body());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(root.toURI().resolve(path)).header("accept", "text/plain").build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
