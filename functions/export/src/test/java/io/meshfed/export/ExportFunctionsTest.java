package io.meshfed.export;

import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.ManagementClusterResource;
import static io.meshfed.export.Workloads.endpoint;
import static io.meshfed.export.Workloads.node;
import static io.meshfed.export.Workloads.pod;
import static io.meshfed.export.Workloads.port;
import static io.meshfed.export.Workloads.service;
import static io.meshfed.export.Workloads.serviceExport;
import static io.meshfed.export.Workloads.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.testsupport.CloudEventsClient.Answer;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.CatalogChanged;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ModelJson;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The export function at its wire: CloudEvents sent with the CloudEvents SDK in both encodings; the management
 * cluster and every workload cluster are fabric8 mock API servers in CRUD mode (workload ones over HTTPS, trusted
 * through the CA stored at registration); the stores are the real Kubernetes ones.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
class ExportFunctionsTest {
    static final String NAMESPACE = "meshfed";

    @Inject
    KubernetesClient management;

    @TestHTTPResource("/")
    URI root;

    KubernetesClusterStore clusters;
    KubernetesCatalogStore catalogs;
    CloudEventsClient events;

    @BeforeEach
    void setUp() {
        clusters = new KubernetesClusterStore(management, NAMESPACE);
        catalogs = new KubernetesCatalogStore(management, NAMESPACE);
        events = new CloudEventsClient(root);
    }

    @Test
    void firstSyncStoresTheCatalogAndRepliesCatalogChangedThenAResyncIsSilentAndWritesNothing() throws Exception {
        try (WorkloadCluster east = new WorkloadCluster()) {
            seedShop(east);
            MeshCluster cluster = register("east", east.url(), east.caPem());

            Instant before = Instant.now();
            Answer first = events.send(sync("east"), Mode.BINARY);
            Instant after = Instant.now();

            assertEquals(200, first.status(), first.bodyText());
            ClusterCatalog stored = catalogs.get("east").orElseThrow();
            assertEquals(new ClusterCatalog(cluster.federated(), shopServices(), 1, null, stored.lastGoodRead(), null), stored);
            assertFalse(stored.lastGoodRead().isBefore(before) || stored.lastGoodRead().isAfter(after));
            assertReply(first, EventTypes.CATALOG_CHANGED, "east",
                    new CatalogChanged("east", 1, stored.contentHash(), false));

            String resourceVersion = catalogMap("east").getMetadata().getResourceVersion();
            Answer again = events.send(sync("east"), Mode.BINARY);
            assertEquals(204, again.status());
            assertEquals(0, again.body().length);
            assertTrue(again.headers().keySet().stream().noneMatch(h -> h.toLowerCase().startsWith("ce-")),
                    again.headers().toString());
            assertEquals(resourceVersion, catalogMap("east").getMetadata().getResourceVersion());
            assertEquals(stored, catalogs.get("east").orElseThrow());
        }
    }

    @Test
    void duplicateDeliveriesAtTheSameTimeChangeTheCatalogOnceAndAnnounceItOnce() throws Exception {
        try (WorkloadCluster twin = new WorkloadCluster()) {
            seedShop(twin);
            MeshCluster cluster = register("twin", twin.url(), twin.caPem());
            CloudEvent event = sync("twin");
            int deliveries = 4;
            ExecutorService pool = Executors.newFixedThreadPool(deliveries);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Answer>> answers = new ArrayList<>();
                for (int i = 0; i < deliveries; i++) {
                    answers.add(pool.submit(() -> {
                        go.await();
                        return events.send(event, Mode.BINARY);
                    }));
                }
                go.countDown();
                List<Integer> statuses = new ArrayList<>();
                List<CloudEvent> replies = new ArrayList<>();
                for (Future<Answer> f : answers) {
                    Answer a = f.get(60, TimeUnit.SECONDS);
                    statuses.add(a.status());
                    if (a.event() != null) {
                        replies.add(a.event());
                    }
                }
                statuses.sort(null);
                assertEquals(List.of(200, 204, 204, 204), statuses);
                ClusterCatalog stored = catalogs.get("twin").orElseThrow();
                assertEquals(new ClusterCatalog(cluster.federated(), shopServices(), 1, null, stored.lastGoodRead(), null), stored);
                assertEquals(new CatalogChanged("twin", 1, stored.contentHash(), false),
                        ModelJson.mapper().readValue(replies.get(0).getData().toBytes(), CatalogChanged.class));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void structuredModeAndTheClusterNamedInDataInsteadOfTheSubject() throws Exception {
        try (WorkloadCluster west = new WorkloadCluster()) {
            west.client().services().inNamespace("web").resource(service("web", "frontend", true,
                    Map.of("app", "frontend"), port("http", 80, 8080, null))).create();
            west.client().discovery().v1().endpointSlices().inNamespace("web").resource(slice("web", "frontend-1",
                    "frontend", List.of(endpoint("10.2.0.7", true, "eu-west1-a", null, "web", "frontend-1")),
                    "http", 8080)).create();
            west.client().pods().inNamespace("web").resource(pod("web", "frontend-1", Map.of("app", "frontend")))
                    .create();
            MeshCluster cluster = register("west", west.url(), west.caPem());

            CloudEvent event = CloudEventBuilder.v1().withId(UUID.randomUUID().toString())
                    .withSource(URI.create("/meshfed/cli")).withType(EventTypes.SERVICE_EXPORT_SYNC)
                    .withDataContentType("application/json")
                    .withData("{\"cluster\":\"west\"}".getBytes(StandardCharsets.UTF_8)).build();
            Answer answer = events.send(event, Mode.STRUCTURED);

            assertEquals(200, answer.status(), answer.bodyText());
            ClusterCatalog stored = catalogs.get("west").orElseThrow();
            assertEquals(new ClusterCatalog(cluster.federated(), List.of(new ExportedService("web", "frontend",
                    List.of(new ServicePort("http", 80, "HTTP", 8080)),
                    List.of(new ServiceEndpoint("10.2.0.7", new Locality("eu-west1", "eu-west1-a"), true,
                            Map.of("app", "frontend"))))), 1, null, stored.lastGoodRead(), null), stored);
            assertReply(answer, EventTypes.CATALOG_CHANGED, "west",
                    new CatalogChanged("west", 1, stored.contentHash(), false));
        }
    }

    @Test
    void unexportingRemovesTheServiceFromTheCatalog() throws Exception {
        try (WorkloadCluster north = new WorkloadCluster()) {
            seedShop(north);
            MeshCluster cluster = register("north", north.url(), north.caPem());
            assertEquals(200, events.send(sync("north"), Mode.BINARY).status());

            // reviews was exported by a ServiceExport, ratings by the label: withdraw both differently.
            north.client().genericKubernetesResources(Fabric8WorkloadReader.SERVICE_EXPORT).inNamespace("shop")
                    .withName("reviews").delete();
            Answer stillRatings = events.send(sync("north"), Mode.STRUCTURED);
            ClusterCatalog v2 = catalogs.get("north").orElseThrow();
            assertEquals(new ClusterCatalog(cluster.federated(), List.of(shopServices().get(0)), 2, null, v2.lastGoodRead(), null),
                    v2);
            assertReply(stillRatings, EventTypes.CATALOG_CHANGED, "north",
                    new CatalogChanged("north", 2, v2.contentHash(), false));

            north.client().services().inNamespace("shop").withName("ratings")
                    .edit(s -> { s.getMetadata().getLabels().remove(ExportDiscovery.EXPORT_LABEL); return s; });
            Answer none = events.send(sync("north"), Mode.BINARY);
            ClusterCatalog v3 = catalogs.get("north").orElseThrow();
            assertEquals(new ClusterCatalog(cluster.federated(), List.of(), 3, null, v3.lastGoodRead(), null), v3);
            assertReply(none, EventTypes.CATALOG_CHANGED, "north",
                    new CatalogChanged("north", 3, v3.contentHash(), false));
        }
    }

    @Test
    void registeredSyncsAndDeregisteredRemovesAndAnnouncesOnce() throws Exception {
        try (WorkloadCluster south = new WorkloadCluster()) {
            seedShop(south);
            MeshCluster cluster = register("south", south.url(), south.caPem());
            long generation = clusters.get("south").orElseThrow().generation();

            Answer registered = events.send(event(EventTypes.CLUSTER_REGISTERED, "south",
                    ModelJson.mapper().writeValueAsString(Map.of("cluster", cluster, "generation", generation))),
                    Mode.BINARY);
            ClusterCatalog stored = catalogs.get("south").orElseThrow();
            assertEquals(new ClusterCatalog(cluster.federated(), shopServices(), 1, null, stored.lastGoodRead(), null), stored);
            assertReply(registered, EventTypes.CATALOG_CHANGED, "south",
                    new CatalogChanged("south", 1, stored.contentHash(), false));

            // A deregistration that arrives while the cluster is (again) registered changes nothing.
            Answer early = events.send(event(EventTypes.CLUSTER_DEREGISTERED, "south",
                    "{\"cluster\":\"south\",\"existed\":true}"), Mode.BINARY);
            assertEquals(204, early.status());
            assertEquals(stored, catalogs.get("south").orElseThrow());

            clusters.delete("south");
            Answer removed = events.send(event(EventTypes.CLUSTER_DEREGISTERED, "south",
                    "{\"cluster\":\"south\",\"existed\":true}"), Mode.STRUCTURED);
            assertReply(removed, EventTypes.CATALOG_CHANGED, "south",
                    new CatalogChanged("south", 1, stored.contentHash(), true));
            assertEquals(Optional.empty(), catalogs.get("south"));
            assertNull(management.configMaps().inNamespace(NAMESPACE)
                    .withName(KubernetesCatalogStore.configMapName("south")).get());

            Answer duplicate = events.send(event(EventTypes.CLUSTER_DEREGISTERED, "south",
                    "{\"cluster\":\"south\"}"), Mode.BINARY);
            assertEquals(204, duplicate.status());
        }
    }

    @Test
    void anApiServerSourceChangeEventSyncsTheClusterNamedByItsExtension() throws Exception {
        try (WorkloadCluster watched = new WorkloadCluster()) {
            seedShop(watched);
            MeshCluster cluster = register("watched", watched.url(), watched.caPem());
            io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice changed = watched.client().discovery().v1()
                    .endpointSlices().inNamespace("shop").withName("reviews-abc").get();
            // What an ApiServerSource (mode Resource) sends: the object as data, its path as subject.
            CloudEvent event = CloudEventBuilder.v1().withId(UUID.randomUUID().toString())
                    .withSource(URI.create("https://10.96.0.1:443"))
                    .withType("dev.knative.apiserver.resource.update")
                    .withSubject("/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices/reviews-abc")
                    .withExtension("meshfedcluster", "watched")
                    .withDataContentType("application/json")
                    .withData(io.fabric8.kubernetes.client.utils.Serialization.asJson(changed)
                            .getBytes(StandardCharsets.UTF_8))
                    .build();

            Answer answer = events.send(event, Mode.BINARY);
            ClusterCatalog stored = catalogs.get("watched").orElseThrow();
            assertEquals(new ClusterCatalog(cluster.federated(), shopServices(), 1, null, stored.lastGoodRead(), null), stored);
            assertReply(answer, EventTypes.CATALOG_CHANGED, "watched",
                    new CatalogChanged("watched", 1, stored.contentHash(), false));

            Answer withoutCluster = events.send(CloudEventBuilder.v1(event).withoutExtension("meshfedcluster").build(),
                    Mode.STRUCTURED);
            assertError(withoutCluster, 400, "bad-event", "meshfedcluster");
        }
    }

    @Test
    void badInputGetsAClearClientErrorAndWritesNothing() throws Exception {
        List<ConfigMap> before = management.configMaps().inNamespace(NAMESPACE).list().getItems();

        Answer malformed = events.send(event(EventTypes.SERVICE_EXPORT_SYNC, "east", "{\"cluster\": "), Mode.BINARY);
        assertError(malformed, 400, "bad-event", "data");
        assertTrue(error(malformed).get("message").asText().startsWith("is not valid JSON"), malformed.bodyText());

        Answer unknownField = events.send(event(EventTypes.SERVICE_EXPORT_SYNC, "east", "{\"clustr\":\"east\"}"),
                Mode.STRUCTURED);
        assertError(unknownField, 400, "bad-event", "data.clustr");

        Answer mismatch = events.send(event(EventTypes.SERVICE_EXPORT_SYNC, "east", "{\"cluster\":\"west\"}"),
                Mode.BINARY);
        assertError(mismatch, 400, "bad-event", "data.cluster");
        assertEquals("names cluster 'west' but the subject is 'east'", error(mismatch).get("message").asText());

        Answer noName = events.send(event(EventTypes.SERVICE_EXPORT_SYNC, null, null), Mode.BINARY);
        assertError(noName, 400, "bad-event", "subject");

        Answer badName = events.send(event(EventTypes.SERVICE_EXPORT_SYNC, "East_1", null), Mode.BINARY);
        assertError(badName, 400, "bad-event", "subject");

        Answer invalidCluster = events.send(event(EventTypes.CLUSTER_REGISTERED, "ghost",
                "{\"cluster\":{\"name\":\"ghost\"},\"generation\":1}"), Mode.BINARY);
        assertError(invalidCluster, 400, "bad-event", "data.cluster");
        assertTrue(error(invalidCluster).get("message").asText().contains("network: is required"),
                invalidCluster.bodyText());

        MeshCluster ghost = new MeshCluster("ghost", "net-ghost", Locality.of("us-east1"),
                new GatewayAddress("192.0.2.99", 15443), "ghost.example.org", null);
        Answer noGeneration = events.send(event(EventTypes.CLUSTER_REGISTERED, "ghost",
                ModelJson.mapper().writeValueAsString(Map.of("cluster", ghost))), Mode.BINARY);
        assertError(noGeneration, 400, "bad-event", "data.generation");

        Answer unknown = events.send(sync("ghost"), Mode.BINARY);
        assertError(unknown, 422, "unknown-cluster", "subject");
        assertEquals("cluster 'ghost' is not registered", error(unknown).get("message").asText());

        Answer brokenEnvelope = events.sendRaw(Map.of("Content-Type", "application/cloudevents+json"),
                "{\"specversion\":\"1.0\",".getBytes(StandardCharsets.UTF_8));
        assertError(brokenEnvelope, 400, "bad-event", "event");

        Answer notAString = events.send(event(EventTypes.SERVICE_EXPORT_SYNC, null, "{\"cluster\":123}"),
                Mode.BINARY);
        assertError(notAString, 400, "bad-event", "data.cluster");

        String fiveMegabytes = "{\"cluster\":\"east\",\"padding\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}";
        for (Mode mode : Mode.values()) {
            Answer tooLarge = events.send(event(EventTypes.SERVICE_EXPORT_SYNC, "east", fiveMegabytes), mode);
            assertError(tooLarge, 413, "too-large", "body");
        }

        assertEquals(before.stream().map(c -> c.getMetadata().getName() + "@" + c.getMetadata().getResourceVersion())
                .toList(), management.configMaps().inNamespace(NAMESPACE).list().getItems().stream()
                .map(c -> c.getMetadata().getName() + "@" + c.getMetadata().getResourceVersion()).toList());
    }

    // ---- fixtures ----

    /** Namespace shop: reviews (ServiceExport, two endpoints), ratings (label), internal (not exported). */
    static void seedShop(WorkloadCluster cluster) {
        KubernetesClient c = cluster.client();
        c.services().inNamespace("shop").resource(service("shop", "reviews", false, Map.of("app", "reviews"),
                port("http", 9080, "http", null), port("grpc-api", 9090, 9090, null))).create();
        c.services().inNamespace("shop").resource(service("shop", "ratings", true, Map.of("app", "ratings"),
                port("api", 8080, 8080, "kubernetes.io/h2c"))).create();
        c.services().inNamespace("shop").resource(service("shop", "internal", false, Map.of("app", "internal"),
                port("http", 80, 80, null))).create();
        c.genericKubernetesResources(Fabric8WorkloadReader.SERVICE_EXPORT).inNamespace("shop")
                .resource(serviceExport("shop", "reviews")).create();
        c.discovery().v1().endpointSlices().inNamespace("shop").resource(slice("shop", "reviews-abc", "reviews",
                List.of(endpoint("10.1.0.11", true, "us-east1-b", "node-b", "shop", "reviews-v1-x"),
                        endpoint("10.1.0.12", false, null, "node-c", "shop", "reviews-v2-y")),
                "http", 8080, "grpc-api", 9090)).create();
        c.discovery().v1().endpointSlices().inNamespace("shop").resource(slice("shop", "ratings-abc", "ratings",
                List.of(endpoint("10.1.1.5", true, "us-east1-b", "node-b", "shop", "ratings-1")), "api", 8080))
                .create();
        c.discovery().v1().endpointSlices().inNamespace("shop").resource(slice("shop", "internal-abc", "internal",
                List.of(endpoint("10.1.2.1", true, "us-east1-b", "node-b", "shop", "internal-1")), "http", 80))
                .create();
        c.pods().inNamespace("shop").resource(pod("shop", "reviews-v1-x",
                Map.of("app", "reviews", "version", "v1", "pod-template-hash", "7c9f"))).create();
        c.pods().inNamespace("shop").resource(pod("shop", "reviews-v2-y",
                Map.of("app", "reviews", "version", "v2", "pod-template-hash", "5d2a"))).create();
        c.pods().inNamespace("shop").resource(pod("shop", "ratings-1", Map.of("app", "ratings"))).create();
        c.nodes().resource(node("node-b", "us-east1-b")).create();
        c.nodes().resource(node("node-c", "us-east1-c")).create();
    }

    /** What {@link #seedShop} exports, as the catalog must hold it. */
    static List<ExportedService> shopServices() {
        return List.of(
                new ExportedService("shop", "ratings", List.of(new ServicePort("api", 8080, "HTTP2", 8080)),
                        List.of(new ServiceEndpoint("10.1.1.5", new Locality("us-east1", "us-east1-b"), true,
                                Map.of("app", "ratings")))),
                new ExportedService("shop", "reviews",
                        List.of(new ServicePort("http", 9080, "HTTP", 8080),
                                new ServicePort("grpc-api", 9090, "GRPC", 9090)),
                        List.of(new ServiceEndpoint("10.1.0.11", new Locality("us-east1", "us-east1-b"), true,
                                        Map.of("app", "reviews", "version", "v1")),
                                new ServiceEndpoint("10.1.0.12", new Locality("us-east1", "us-east1-c"), false,
                                        Map.of("app", "reviews", "version", "v2")))));
    }

    MeshCluster register(String name, String url, String caPem) {
        ClusterCredentials credentials = ClusterCredentials.ofToken("token-of-" + name);
        MeshCluster cluster = new MeshCluster(name, "net-" + name, Locality.of(name.equals("west") ? "eu-west1"
                : "us-east1"), new GatewayAddress("192.0.2." + (10 + name.length()), 15443), name + ".example.org",
                new ApiServerRef(url, caPem, KubernetesClusterStore.credentialsSecretName(name, credentials)));
        clusters.put(cluster, Optional.of(credentials));
        return cluster;
    }

    ConfigMap catalogMap(String cluster) {
        return management.configMaps().inNamespace(NAMESPACE).withName(KubernetesCatalogStore.configMapName(cluster))
                .get();
    }

    static CloudEvent sync(String cluster) {
        return event(EventTypes.SERVICE_EXPORT_SYNC, cluster, null);
    }

    static CloudEvent event(String type, String subject, String json) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId(UUID.randomUUID().toString())
                .withSource(URI.create("/meshfed/test")).withType(type).withSubject(subject);
        if (json != null) {
            b.withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8));
        }
        return b.build();
    }

    static void assertReply(Answer answer, String type, String subject, Object expectedData) throws Exception {
        assertEquals(200, answer.status(), answer.bodyText());
        CloudEvent reply = answer.event();
        assertNotNull(reply);
        assertEquals(type, reply.getType());
        assertEquals(subject, reply.getSubject());
        assertEquals(ExportFunctions.SOURCE, reply.getSource().toString());
        assertEquals(expectedData, ModelJson.mapper().readValue(reply.getData().toBytes(), expectedData.getClass()));
    }

    static JsonNode error(Answer answer) throws Exception {
        return ModelJson.mapper().readTree(answer.body());
    }

    static void assertError(Answer answer, int status, String error, String field) throws Exception {
        assertEquals(status, answer.status(), answer.bodyText());
        assertTrue(answer.headers().keySet().stream().noneMatch(h -> h.toLowerCase().startsWith("ce-")));
        JsonNode body = error(answer);
        assertEquals(error, body.get("error").asText(), answer.bodyText());
        assertEquals(field, body.get("field").asText(), answer.bodyText());
    }
}
