package io.meshfed.export;

import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.TestTls;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.meshfed.export.Workloads.endpoint;
import static io.meshfed.export.Workloads.pod;
import static io.meshfed.export.Workloads.port;
import static io.meshfed.export.Workloads.service;
import static io.meshfed.export.Workloads.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.ServiceListBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A workload API server that fails: WireMock over HTTPS (its certificate signed by a CA that the registration
 * stores) serves a small cluster, then answers 503, 429, 401 and too late. The catalog must be kept, marked stale once,
 * and each failure reported as {@code io.meshfed.service.export.failed}; the first good read clears it.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
class RemoteFailuresTest {
    @Inject
    KubernetesClient management;

    @TestHTTPResource("/")
    URI root;

    WireMockServer apiServer;
    TestTls tls;
    KubernetesClusterStore clusters;
    KubernetesCatalogStore catalogs;
    CloudEventsClient events;

    @BeforeEach
    void start() throws Exception {
        tls = TestTls.create();
        apiServer = new WireMockServer(options().httpDisabled(true).dynamicHttpsPort()
                .keystorePath(tls.keystore().toString()).keystoreType("PKCS12")
                .keystorePassword(TestTls.PASSWORD).keyManagerPassword(TestTls.PASSWORD));
        apiServer.start();
        servePayments(apiServer);
        clusters = new KubernetesClusterStore(management, ExportFunctionsTest.NAMESPACE);
        catalogs = new KubernetesCatalogStore(management, ExportFunctionsTest.NAMESPACE);
        events = new CloudEventsClient(root);
    }

    @AfterEach
    void stop() {
        apiServer.stop();
    }

    @Test
    void failuresKeepTheLastCatalogMarkItStaleOnceAndReportEachFailureUntilAGoodRead() throws Exception {
        MeshCluster cluster = register("flaky", tls.caPem());
        Answer ok = events.send(ExportFunctionsTest.sync("flaky"), Mode.BINARY);
        ClusterCatalog good = catalogs.get("flaky").orElseThrow();
        assertEquals(new ClusterCatalog(cluster.federated(), payments(), 1, null, good.lastGoodRead(), null), good);
        ExportFunctionsTest.assertReply(ok, EventTypes.CATALOG_CHANGED, "flaky",
                new CatalogChanged("flaky", 1, good.contentHash(), false));
        apiServer.verify(getRequestedFor(urlPathEqualTo("/api/v1/services"))
                .withHeader("Authorization", equalTo("Bearer token-of-flaky")));

        StubMapping outage = apiServer.stubFor(any(anyUrl()).atPriority(1).willReturn(status(503, "etcd unavailable")));
        Answer unavailable = events.send(ExportFunctionsTest.sync("flaky"), Mode.BINARY);
        ClusterCatalog stale = catalogs.get("flaky").orElseThrow();
        assertNotNull(stale.staleSince());
        assertEquals(new ClusterCatalog(cluster.federated(), payments(), 2, null, good.lastGoodRead(), stale.staleSince()), stale);
        assertFailed(unavailable, new ExportFailed("flaky", FailureReason.SERVER_ERROR,
                url() + " answered 503: etcd unavailable", stale.staleSince(), good.lastGoodRead(), 2));
        String staleVersion = catalogMap("flaky").getMetadata().getResourceVersion();

        // what a just-started kube-apiserver answers while its storage initializes (seen in the real-peer tests)
        apiServer.removeStub(outage);
        outage = apiServer.stubFor(any(anyUrl()).atPriority(1).willReturn(status(429, "storage is (re)initializing")
                .withHeader("Retry-After", "1")));
        Answer throttled = events.send(ExportFunctionsTest.sync("flaky"), Mode.BINARY);
        assertFailed(throttled, new ExportFailed("flaky", FailureReason.THROTTLED,
                url() + " answered 429 Too Many Requests, retry later: storage is (re)initializing", stale.staleSince(),
                good.lastGoodRead(), 2));

        apiServer.removeStub(outage);
        outage = apiServer.stubFor(any(anyUrl()).atPriority(1).willReturn(status(401, "Unauthorized")));
        Answer unauthorized = events.send(ExportFunctionsTest.sync("flaky"), Mode.STRUCTURED);
        assertFailed(unauthorized, new ExportFailed("flaky", FailureReason.UNAUTHORIZED,
                url() + " answered 401 Unauthorized: the stored credentials were not accepted", stale.staleSince(),
                good.lastGoodRead(), 2));

        apiServer.removeStub(outage);
        outage = apiServer.stubFor(any(anyUrl()).atPriority(1)
                .willReturn(aResponse().withFixedDelay(6_000).withStatus(200).withBody("{}")));
        Answer slow = events.send(ExportFunctionsTest.sync("flaky"), Mode.BINARY);
        ExportFailed timeout = failed(slow);
        assertEquals(FailureReason.TIMEOUT, timeout.reason(), timeout.message());
        assertEquals(stale.staleSince(), timeout.staleSince());
        assertEquals(2, timeout.catalogVersion());

        assertEquals(staleVersion, catalogMap("flaky").getMetadata().getResourceVersion(), "no write while stale");
        assertEquals(stale, catalogs.get("flaky").orElseThrow());

        apiServer.removeStub(outage);
        Answer recovered = events.send(ExportFunctionsTest.sync("flaky"), Mode.BINARY);
        ClusterCatalog fresh = catalogs.get("flaky").orElseThrow();
        assertEquals(new ClusterCatalog(cluster.federated(), payments(), 3, null, fresh.lastGoodRead(), null), fresh);
        assertTrue(fresh.lastGoodRead().isAfter(good.lastGoodRead()));
        ExportFunctionsTest.assertReply(recovered, EventTypes.CATALOG_CHANGED, "flaky",
                new CatalogChanged("flaky", 3, fresh.contentHash(), false));
    }

    @Test
    void aServerCertificateThatDoesNotChainToTheRegisteredCaIsATlsFailureAndWritesNothing() throws Exception {
        register("impostor", TestTls.create().caPem());
        Answer answer = events.send(ExportFunctionsTest.sync("impostor"), Mode.BINARY);
        ExportFailed failure = failed(answer);
        assertEquals(FailureReason.TLS, failure.reason(), failure.message());
        assertEquals(0, failure.catalogVersion());
        assertEquals(null, failure.staleSince());
        assertEquals(Optional.empty(), catalogs.get("impostor"));
    }

    private MeshCluster register(String name, String caPem) {
        ClusterCredentials credentials = ClusterCredentials.ofToken("token-of-" + name);
        MeshCluster cluster = new MeshCluster(name, "net-" + name, Locality.of("us-east1"),
                new GatewayAddress("gw." + name + ".example.com", 15443), name + ".example.org",
                new ApiServerRef(url(), caPem, KubernetesClusterStore.credentialsSecretName(name, credentials)));
        clusters.put(cluster, Optional.of(credentials));
        return cluster;
    }

    private String url() {
        return "https://localhost:" + apiServer.httpsPort();
    }

    private io.fabric8.kubernetes.api.model.ConfigMap catalogMap(String cluster) {
        return management.configMaps().inNamespace(ExportFunctionsTest.NAMESPACE)
                .withName(KubernetesCatalogStore.configMapName(cluster)).get();
    }

    /** Namespace pay: payments, exported by label; the cluster has no ServiceExport CRD (404). */
    static void servePayments(WireMockServer apiServer) {
        apiServer.stubFor(get(urlPathEqualTo("/apis/multicluster.x-k8s.io/v1alpha1/serviceexports"))
                .willReturn(status(404, "the server could not find the requested resource")));
        apiServer.stubFor(get(urlPathEqualTo("/api/v1/services")).willReturn(json(new ServiceListBuilder()
                .withItems(service("pay", "payments", true, Map.of("app", "payments"), port("http", 8080, 8080, null)))
                .build())));
        apiServer.stubFor(get(urlPathEqualTo("/apis/discovery.k8s.io/v1/namespaces/pay/endpointslices"))
                .willReturn(json(new EndpointSliceListBuilder().withItems(slice("pay", "payments-1", "payments",
                        List.of(endpoint("10.3.0.4", true, "us-east1-d", null, "pay", "payments-7")), "http", 8080))
                        .build())));
        apiServer.stubFor(get(urlPathEqualTo("/api/v1/namespaces/pay/pods")).willReturn(json(new PodListBuilder()
                .withItems(pod("pay", "payments-7", Map.of("app", "payments", "track", "stable"))).build())));
    }

    static List<ExportedService> payments() {
        return List.of(new ExportedService("pay", "payments", List.of(new ServicePort("http", 8080, "HTTP", 8080)),
                List.of(new ServiceEndpoint("10.3.0.4", new Locality("us-east1", "us-east1-d"), true,
                        Map.of("app", "payments", "track", "stable")))));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(Object body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(Serialization.asJson(body));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder status(int code, String message) {
        return aResponse().withStatus(code).withHeader("Content-Type", "application/json")
                .withBody(Serialization.asJson(new StatusBuilder().withStatus("Failure").withCode(code)
                        .withMessage(message).build()));
    }

    private static ExportFailed failed(Answer answer) throws Exception {
        assertEquals(200, answer.status(), answer.bodyText());
        assertEquals(EventTypes.SERVICE_EXPORT_FAILED, answer.event().getType());
        assertEquals(ExportFunctions.SOURCE, answer.event().getSource().toString());
        return ModelJson.mapper().readValue(answer.event().getData().toBytes(), ExportFailed.class);
    }

    private static void assertFailed(Answer answer, ExportFailed expected) throws Exception {
        assertEquals(expected, failed(answer));
        assertEquals(expected.cluster(), answer.event().getSubject());
    }
}
