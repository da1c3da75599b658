package io.meshfed.xds.app;

import static io.meshfed.xds.app.RealManagementCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.CatalogStatus;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import io.meshfed.xds.protocol.AdsListener;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.ClusterIdentifier;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On a real kube-apiserver with meshfed's CRD and RBAC, the bridge running as its own ServiceAccount: an istiod of
 * east (grpc-java, istiod's node id and no cluster claim but its {@code :authority}) opening an ADS stream makes east's
 * MeshCluster say {@code IstiodConnected=True} through the status subresource, beside the other components'
 * conditions; its stream closing makes it False with reason {@code NoStream}. An Envoy of west connecting writes
 * nothing. The catalog age and API reachability gauges follow what registration and export write on the status.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class IstiodConditionRealApiServerTest {
    private static final String NS = RealManagementCluster.NS;
    private static final String SE = "networking.istio.io/v1/ServiceEntry";

    RealManagementCluster cluster;
    KubernetesClient bridge;
    KubernetesClient operator;
    KubernetesClusterStore registration;
    CatalogFeed feed;
    StoreWatch watch;
    Vertx vertx;
    AdsListener listener;
    IstiodConnections istiod;
    SimpleMeterRegistry registry;

    @BeforeAll
    void start() throws Exception {
        cluster = new RealManagementCluster("meshcluster.yaml");
        bridge = cluster.clientOf("meshfed-xds-bridge");
        operator = cluster.api.admin();
        registration = new KubernetesClusterStore(cluster.clientOf("meshfed-registration"), NS);
        registration.put(ManagementCluster.EAST, Optional.empty());
        registration.put(ManagementCluster.WEST, Optional.empty());
        new KubernetesCatalogStore(cluster.clientOf("meshfed-export"), NS).put(ManagementCluster.catalog(
                ManagementCluster.EAST, 1, ManagementCluster.service("demo", "echo", "10.1.0.1",
                        ManagementCluster.EAST_A)), 0);
        SnapshotCache cache = new SnapshotCache();
        feed = new CatalogFeed(new KubernetesClusterStore(bridge, NS), new KubernetesCatalogStore(bridge, NS), cache,
                new EnvoyTranslator(EnvoyPolicy.DEFAULT),
                FederationMcpTranslator.incremental(new IstioFederationTranslator()), Clock.systemUTC());
        feed.loadAll();
        registry = new SimpleMeterRegistry();
        watch = StoreWatch.start(bridge, NS, feed, Duration.ofMinutes(10), new ClusterGauges(registry,
                Clock.systemUTC()));
        istiod = new IstiodConnections(new KubernetesClusterStatusWriter(bridge, NS, "meshfed-xds-bridge",
                Clock.systemUTC()), bridge, NS, "meshfed-xds-bridge-0");
        XdsMetrics protocol = new XdsMetrics();
        AdsServer ads = new AdsServer(cache, new ClusterIdentifier("xds.meshfed.example"), protocol,
                new ConnectedClients(), 1000, AdsObservers.of(new BridgeMetrics(registry, protocol), istiod));
        vertx = Vertx.vertx();
        listener = AdsListener.listen(vertx, ads, new HttpServerOptions().setHost("127.0.0.1").setPort(0), 1)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    void stop() throws Exception {
        if (listener != null) {
            listener.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (istiod != null) {
            istiod.close();
        }
        if (watch != null) {
            watch.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void anIstiodStreamIsTheClustersIstiodConnectedCondition() throws Exception {
        // registration's own condition, so the bridge's must sit beside it
        new KubernetesClusterStatusWriter(cluster.clientOf("meshfed-registration"), NS, "meshfed-registration",
                Clock.systemUTC()).report("east", Report.of(new Condition(ClusterStatusWriter.REGISTERED,
                        ConditionStatus.TRUE, "Registered", "east is registered")));

        ManagedChannel channel = channel("east");
        StreamObserver<DiscoveryRequest> stream;
        try {
            BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
            stream = AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(collect(responses));
            stream.onNext(DiscoveryRequest.newBuilder().setTypeUrl(SE).setResponseNonce("2026-01-01 00:00:00 UTC")
                    .setNode(Node.newBuilder().setId("sidecar~10.1.0.5~istiod-1.istio-system~istio-system.svc.cluster.local"))
                    .build());
            DiscoveryResponse first = responses.poll(30, TimeUnit.SECONDS);
            assertNotNull(first, "east's istiod got its ServiceEntries");

            await("IstiodConnected=True on east", () -> "True".equals(condition("east", "status")));
            assertEquals(IstiodConnections.CONNECTED, condition("east", "reason"));
            assertEquals("an istiod of cluster east holds an ADS stream to bridge replica meshfed-xds-bridge-0",
                    condition("east", "message"));
            assertEquals("True", condition("east", ClusterStatusWriter.REGISTERED, "status"),
                    "registration's condition is left as it was");
            assertNotNull(condition("east", "lastTransitionTime"));
            assertEquals(1.0, gauge("meshfed.xds.connected.clients", "east", "istiod"));

            // an Envoy of west is no istiod: west's MeshCluster gets no such condition
            ManagedChannel westChannel = channel("west");
            try {
                BlockingQueue<DiscoveryResponse> westResponses = new LinkedBlockingQueue<>();
                StreamObserver<DiscoveryRequest> envoy = AggregatedDiscoveryServiceGrpc.newStub(westChannel)
                        .streamAggregatedResources(collect(westResponses));
                envoy.onNext(DiscoveryRequest.newBuilder()
                        .setTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster")
                        .setNode(Node.newBuilder().setId("router~10.2.0.9~gw.istio-system~istio-system.svc.cluster.local")
                                .setUserAgentName("envoy"))
                        .build());
                assertNotNull(westResponses.poll(30, TimeUnit.SECONDS), "west's gateway got its clusters");
                await("west's Envoy counted", () -> gauge("meshfed.xds.connected.clients", "west", "envoy") == 1.0);
                assertTrue(istiod.drain(30_000));
                assertEquals(null, condition("west", "status"), "no istiod of west connected");
                envoy.onCompleted();
            } finally {
                westChannel.shutdownNow();
            }
        } finally {
            channel.shutdownNow();
        }
        // the transport closing ends the stream, as an istiod restarting does
        channel.awaitTermination(30, TimeUnit.SECONDS);
        await("IstiodConnected=False on east", () -> "False".equals(condition("east", "status")));
        assertEquals(IstiodConnections.DISCONNECTED, condition("east", "reason"));
        assertEquals(0.0, gauge("meshfed.xds.connected.clients", "east", "istiod"));
        assertEquals("True", condition("east", ClusterStatusWriter.REGISTERED, "status"));
    }

    @Test
    void catalogAgeAndReachabilityFollowTheStatus() throws Exception {
        await("west's gauges", () -> registry.find("meshfed.cluster.api.reachable").tag("cluster", "west")
                .gauge() != null);
        assertEquals(0.0, registry.get("meshfed.cluster.api.reachable").tag("cluster", "west").gauge().value(),
                "no ApiReachable condition yet");
        new KubernetesClusterStatusWriter(cluster.clientOf("meshfed-registration"), NS, "meshfed-registration",
                Clock.systemUTC()).report("west", Report.of(new Condition(ClusterStatusWriter.API_REACHABLE,
                        ConditionStatus.TRUE, "Reachable", "west's API server answered")));
        await("west reachable", () -> registry.get("meshfed.cluster.api.reachable").tag("cluster", "west")
                .gauge().value() == 1.0);

        Instant synced = Instant.now().minusSeconds(600);
        new KubernetesClusterStatusWriter(cluster.clientOf("meshfed-export"), NS, "meshfed-export", Clock.systemUTC())
                .report("west", new Report(List.of(new Condition(ClusterStatusWriter.CATALOG_SYNCED,
                        ConditionStatus.TRUE, "Synced", "")), List.of(), Optional.of(new CatalogStatus(synced, 0)),
                        Optional.empty()));
        Gauge age = registry.get("meshfed.catalog.age").tag("cluster", "west").gauge();
        await("west's catalog age from its syncedAt", () -> age.value() >= 600 && age.value() < 900);
        assertEquals(1.0, registry.get("meshfed.cluster.api.reachable").tag("cluster", "west").gauge().value(),
                "registration's condition is kept through export's write");

        new KubernetesClusterStatusWriter(cluster.clientOf("meshfed-registration"), NS, "meshfed-registration",
                Clock.systemUTC()).report("west", Report.of(new Condition(ClusterStatusWriter.API_REACHABLE,
                        ConditionStatus.FALSE, "Unreachable", "connection refused")));
        await("west unreachable", () -> registry.get("meshfed.cluster.api.reachable").tag("cluster", "west")
                .gauge().value() == 0.0);
    }

    private double gauge(String name, String cluster, String kind) {
        Gauge g = registry.find(name).tag("cluster", cluster).tag("kind", kind).gauge();
        return g == null ? Double.NaN : g.value();
    }

    private String condition(String cluster, String field) {
        return condition(cluster, ClusterStatusWriter.ISTIOD_CONNECTED, field);
    }

    /** A field of a condition of the cluster's MeshCluster as the operator reads it; null when absent. */
    private String condition(String name, String type, String field) {
        GenericKubernetesResource mc = operator.genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                .inNamespace(NS).withName(name).get();
        if (mc.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                && status.get("conditions") instanceof List<?> conditions) {
            for (Object o : conditions) {
                if (o instanceof Map<?, ?> c && type.equals(c.get("type"))) {
                    return c.get(field) == null ? null : c.get(field).toString();
                }
            }
        }
        return null;
    }

    private ManagedChannel channel(String clusterName) {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", listener.port(), InsecureChannelCredentials.create())
                .overrideAuthority(clusterName + ".xds.meshfed.example:15010").build();
    }

    private static StreamObserver<DiscoveryResponse> collect(BlockingQueue<DiscoveryResponse> into) {
        return new StreamObserver<>() {
            @Override
            public void onNext(DiscoveryResponse value) {
                into.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }
}
