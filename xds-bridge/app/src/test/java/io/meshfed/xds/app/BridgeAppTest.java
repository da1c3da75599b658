package io.meshfed.xds.app;

import static io.meshfed.xds.app.ManagementCluster.WEST;
import static io.meshfed.xds.app.ManagementCluster.WEST_A;
import static io.meshfed.xds.app.ManagementCluster.catalog;
import static io.meshfed.xds.app.ManagementCluster.service;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.http.HttpMessageFactory;
import io.cloudevents.jackson.JsonFormat;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.meshfed.model.EventTypes;
import io.meshfed.xds.mcp.proto.mcp.Resource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bridge as deployed: it loads the management cluster's catalogs at start, istiod connects over ADS by host
 * name, CloudEvents sent with the CloudEvents SDK (binary and structured) make it re-read the store and push, and
 * the debug endpoint shows what the client got and ACKed.
 */
@QuarkusTest
@QuarkusTestResource(value = ManagementClusterResource.class, restrictToAnnotatedClass = true)
class BridgeAppTest {
    static final String SE = "networking.istio.io/v1/ServiceEntry";

    @Inject
    XdsListener listener;

    @TestHTTPResource("/")
    URL root;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void servesLoadedCatalogsFollowsEventsAndShowsClients() throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", listener.port(),
                InsecureChannelCredentials.create()).overrideAuthority("east.xds.meshfed.example:15010").build();
        try {
            BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
            StreamObserver<DiscoveryRequest> istiod = AggregatedDiscoveryServiceGrpc.newStub(channel)
                    .streamAggregatedResources(collect(responses, new CompletableFuture<>()));
            istiod.onNext(DiscoveryRequest.newBuilder().setTypeUrl(SE).setResponseNonce("2026-01-01 00:00:00 UTC")
                    .setNode(Node.newBuilder().setId("sidecar~10.1.0.5~istiod-1.istio-system~istio-system.svc.cluster.local"))
                    .build());
            DiscoveryResponse first = next(responses);
            istiod.onNext(ack(first));
            List<String> loaded = names(first);
            assertTrue(loaded.stream().anyMatch(n -> n.contains("echo")), "loaded at start: " + loaded);

            // west starts exporting cart; the export function's catalog.changed arrives in binary mode
            ManagementClusterResource.mgmt.catalogs.put(catalog(WEST, 2, service("demo", "echo", "10.2.0.1", WEST_A),
                    service("shop", "cart", "10.2.0.2", WEST_A)), 1);
            assertEquals(204, send(EventTypes.CATALOG_CHANGED, "west",
                    "{\"cluster\":\"west\",\"version\":2,\"removed\":false}", false));
            DiscoveryResponse second = next(responses);
            istiod.onNext(ack(second));
            assertTrue(names(second).stream().anyMatch(n -> n.contains("cart")), "pushed: " + names(second));

            // west is deregistered; cluster.deregistered arrives in structured mode
            ManagementClusterResource.mgmt.clusters.delete("west");
            assertEquals(204, send(EventTypes.CLUSTER_DEREGISTERED, "west",
                    "{\"cluster\":\"west\",\"existed\":true}", true));
            DiscoveryResponse third = next(responses);
            istiod.onNext(ack(third));
            assertTrue(names(third).stream().noneMatch(n -> n.contains("cart") || n.contains("west")),
                    "west's services are gone: " + names(third));
            assertTrue(names(second).stream().anyMatch(n -> n.contains("west")), "they were there: " + names(second));

            // an event that names no cluster is refused, naming the field
            HttpResponse<String> bad = post(event(EventTypes.CATALOG_CHANGED, null, "{\"version\":3}"), false);
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("\"field\":\"subject\""), bad.body());
            assertTrue(bad.body().contains("\"message\":\"names no cluster"), "the documented body: " + bad.body());
            HttpResponse<String> notJson = post(event(EventTypes.CATALOG_CHANGED, "east", "{\"cluster\":"), false);
            assertEquals(400, notJson.statusCode(), notJson.body());
            assertTrue(notJson.body().startsWith("{\"field\":\"data\",\"message\":\"is not valid JSON"), notJson.body());
            HttpResponse<String> brokenEnvelope = http.send(HttpRequest.newBuilder(root.toURI())
                    .header("content-type", "application/cloudevents+json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"specversion\":\"1.0\",")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, brokenEnvelope.statusCode(), brokenEnvelope.body());
            assertTrue(brokenEnvelope.body().startsWith("{\"field\":\"event\""), brokenEnvelope.body());
            HttpResponse<String> tooLarge = post(event(EventTypes.CATALOG_CHANGED, "east",
                    "{\"cluster\":\"east\",\"padding\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}"), false);
            assertEquals(413, tooLarge.statusCode(), tooLarge.body());
            assertTrue(tooLarge.body().startsWith("{\"field\":\"body\""), tooLarge.body());

            HttpResponse<String> dump = http.send(HttpRequest.newBuilder(root.toURI().resolve("/debug/config_dump"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, dump.statusCode());
            assertTrue(dump.body().contains("\"cluster\" : \"east\""), dump.body());
            assertTrue(dump.body().contains("\"ackedVersion\" : \"" + third.getVersionInfo() + "\""), dump.body());
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(root.toURI().resolve("/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(0.0, Scrape.of(metrics.body()).value("meshfed_xds_rejects_total", "cluster=\"east\"",
                    "type=\"ServiceEntry\""), metrics.body());
            assertTrue(Scrape.of(metrics.body()).value("meshfed_xds_pushes_total", "cluster=\"east\"",
                    "type=\"ServiceEntry\"") >= 3, metrics.body());
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(root.toURI().resolve("/q/health/ready"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("\"ads\"") && ready.body().contains("\"UP\""), ready.body());

            // a client of the deregistered cluster is told so
            CompletableFuture<Status> end = new CompletableFuture<>();
            ManagedChannel west = Grpc.newChannelBuilderForAddress("127.0.0.1", listener.port(),
                    InsecureChannelCredentials.create()).overrideAuthority("west.xds.meshfed.example").build();
            try {
                AggregatedDiscoveryServiceGrpc.newStub(west).streamAggregatedResources(collect(new LinkedBlockingQueue<>(), end))
                        .onNext(DiscoveryRequest.newBuilder().setTypeUrl(SE)
                                .setNode(Node.newBuilder().setId("sidecar~10.2.0.5~istiod-1.istio-system~x")).build());
                Status st = end.get(15, TimeUnit.SECONDS);
                assertEquals(Status.Code.NOT_FOUND, st.getCode());
            } finally {
                west.shutdownNow();
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * The bridge's rule for which cluster an event names is {@link BridgeAdapter}'s, the class local mode's broker
     * calls too: each case is answered here with exactly the body {@code EventAnswer} gives for the adapter's
     * refusal, and local mode's BrokerAnswersEveryInputTest sends the same cases and expects the same bytes. (Local
     * mode had its own copy of this rule: it took {@code {"name": 123}} as cluster "123" and worded refusals
     * differently.)
     */
    @Test
    void theClusterAnEventNamesIsTheSharedAdaptersRule() throws Exception {
        assertEquals(NAMES_NO_CLUSTER, refusal(event(EventTypes.CATALOG_CHANGED, null, "{\"name\":123}")));
        for (CloudEvent e : List.of(event(EventTypes.CATALOG_CHANGED, null, "{\"name\":123}"),
                event(EventTypes.CATALOG_CHANGED, null, "{}"),
                event(EventTypes.CLUSTER_DEREGISTERED, "Bad_Name", "{}"),
                event(EventTypes.CATALOG_CHANGED, "east", "{\"cluster\":\"west\"}"),
                event(EventTypes.CLUSTER_REGISTERED, null, "{\"cluster\":{\"name\":\"east\"}}"))) {
            String expected = refusal(e);
            for (boolean structured : new boolean[] {false, true}) {
                HttpResponse<String> answer = post(e, structured);
                assertEquals(400, answer.statusCode(), answer.body());
                assertEquals(expected, answer.body(), "subject " + e.getSubject() + ", structured " + structured);
            }
        }
    }

    /** The documented body for an event naming no cluster, on every host. */
    static final String NAMES_NO_CLUSTER = "{\"field\":\"subject\",\"message\":\"names no cluster (set the subject, "
            + "or data.cluster)\",\"error\":\"bad-event\"}";

    /** The body every host answers when the bridge's adapter refuses {@code event}. */
    static String refusal(CloudEvent event) {
        return io.meshfed.model.EventAnswer.of(org.junit.jupiter.api.Assertions.assertThrows(
                io.meshfed.model.EventFailure.class, () -> new BridgeAdapter(null).handle(event))).body();
    }

    static DiscoveryRequest ack(DiscoveryResponse r) {
        return DiscoveryRequest.newBuilder().setTypeUrl(r.getTypeUrl()).setVersionInfo(r.getVersionInfo())
                .setResponseNonce(r.getNonce()).build();
    }

    static DiscoveryResponse next(BlockingQueue<DiscoveryResponse> q) throws InterruptedException {
        DiscoveryResponse r = q.poll(15, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no push within 15 s");
        }
        return r;
    }

    static List<String> names(DiscoveryResponse r) throws Exception {
        List<String> out = new ArrayList<>();
        for (com.google.protobuf.Any any : r.getResourcesList()) {
            out.add(any.unpack(Resource.class).getMetadata().getName());
        }
        return List.copyOf(new TreeSet<>(out));
    }

    static StreamObserver<DiscoveryResponse> collect(BlockingQueue<DiscoveryResponse> q, CompletableFuture<Status> end) {
        return new StreamObserver<>() {
            public void onNext(DiscoveryResponse value) {
                q.add(value);
            }

            public void onError(Throwable t) {
                end.complete(Status.fromThrowable(t));
            }

            public void onCompleted() {
                end.complete(Status.OK);
            }
        };
    }

    static CloudEvent event(String type, String subject, String json) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId(java.util.UUID.randomUUID().toString())
                .withSource(URI.create("meshfed/test")).withType(type)
                .withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8));
        if (subject != null) {
            b.withSubject(subject);
        }
        return b.build();
    }

    int send(String type, String subject, String json, boolean structured) throws Exception {
        HttpResponse<String> r = post(event(type, subject, json), structured);
        return r.statusCode();
    }

    HttpResponse<String> post(CloudEvent event, boolean structured) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(root.toURI());
        byte[][] body = new byte[1][];
        var writer = HttpMessageFactory.createWriter(req::header, bytes -> body[0] = bytes);
        if (structured) {
            writer.writeStructured(event, JsonFormat.CONTENT_TYPE);
        } else {
            writer.writeBinary(event);
        }
        return http.send(req.POST(HttpRequest.BodyPublishers.ofByteArray(body[0] == null ? new byte[0] : body[0])).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
