package io.meshfed.export;

import static io.meshfed.export.Workloads.endpoint;
import static io.meshfed.export.Workloads.port;
import static io.meshfed.export.Workloads.service;
import static io.meshfed.export.Workloads.serviceExport;
import static io.meshfed.export.Workloads.slice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link Fabric8WorkloadReader} against a real workload cluster's kube-apiserver, authenticated as the
 * least-privilege reader a workload cluster installs ({@code knative/workload/export-reader.yaml}) with a
 * TokenRequest token of its ServiceAccount: what it reads, through {@link ExportDiscovery}, is the exported services,
 * their endpoints, readiness and locality; what it may not do (Secrets, writes) the server refuses with 403.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class Fabric8WorkloadReaderRealApiServerTest {
    static final String NS = "bookinfo";
    static final Locality REGION = Locality.of("us-east1");

    Etcd etcd;
    KubeApiServer east;
    String readerToken;
    MeshCluster cluster;
    final Fabric8WorkloadReader reader = new Fabric8WorkloadReader(null, Duration.ofSeconds(2), Duration.ofSeconds(10));

    @BeforeAll
    void start() {
        etcd = Etcd.start();
        east = KubeApiServer.start("east", etcd);
        east.apply(Path.of("../../knative/workload/export-reader.yaml"));
        east.apply(Peers.get().file("mcs.crds"));
        seed(east.admin());
        readerToken = east.serviceAccountToken("meshfed-system", "meshfed-export-reader", KubeApiServer.ISSUER,
                Duration.ofHours(1));
        cluster = new MeshCluster("east", "net-east", REGION, new GatewayAddress("192.0.2.10", 15443),
                "east.example.org", new ApiServerRef(east.url(), east.caPem(), "meshfed-cluster-east-0123456789"));
    }

    @AfterAll
    void stop() {
        if (east != null) {
            east.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    /**
     * reviews: exported by label, two Pods, one endpoint ready on a node in zone b (zone from the Node), one not
     * ready with its own zone c. ratings: exported by a ServiceExport, zone from its node. details: not exported.
     * ghost: a ServiceExport without a Service.
     */
    private static void seed(KubernetesClient admin) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .create();
        admin.nodes().resource(Workloads.node("node-a", "us-east1-b")).create();
        admin.nodes().resource(Workloads.node("node-b", "us-east1-d")).create();
        admin.services().resource(service(NS, "reviews", true, Map.of("app", "reviews"),
                port("http", 9080, 9080, null))).create();
        admin.services().resource(service(NS, "ratings", false, Map.of("app", "ratings"),
                port("grpc-api", 9090, "grpc", null))).create();
        admin.services().resource(service(NS, "details", false, Map.of("app", "details"),
                port("http", 9080, 9080, null))).create();
        admin.genericKubernetesResources(Fabric8WorkloadReader.SERVICE_EXPORT).inNamespace(NS)
                .resource(serviceExport(NS, "ratings")).create();
        admin.genericKubernetesResources(Fabric8WorkloadReader.SERVICE_EXPORT).inNamespace(NS)
                .resource(serviceExport(NS, "ghost")).create();
        for (Pod p : List.of(
                pod("reviews-v1", Map.of("app", "reviews", "version", "v1", "pod-template-hash", "7d9f")),
                pod("reviews-v2", Map.of("app", "reviews", "version", "v2")),
                pod("ratings-v1", Map.of("app", "ratings", "version", "v1")),
                pod("details-v1", Map.of("app", "details")))) {
            admin.pods().resource(p).create();
        }
        admin.discovery().v1().endpointSlices().resource(slice(NS, "reviews-x1", "reviews", List.of(
                endpoint("10.1.0.1", true, null, "node-a", NS, "reviews-v1"),
                endpoint("10.1.0.2", false, "us-east1-c", "node-b", NS, "reviews-v2")), "http", 9080)).create();
        admin.discovery().v1().endpointSlices().resource(slice(NS, "ratings-x1", "ratings", List.of(
                endpoint("10.1.1.1", true, null, "node-b", NS, "ratings-v1")), "grpc-api", 9091)).create();
        admin.discovery().v1().endpointSlices().resource(slice(NS, "details-x1", "details", List.of(
                endpoint("10.1.2.1", true, null, "node-a", NS, "details-v1")), "http", 9080)).create();
    }

    private static Pod pod(String name, Map<String, String> labels) {
        return new PodBuilder(Workloads.pod(NS, name, labels)).withNewSpec().addNewContainer().withName("app")
                .withImage("registry.example.org/" + name + ":1").endContainer().endSpec().build();
    }

    @Test
    void theReaderServiceAccountReadsExactlyTheExportedServicesWithReadinessAndLocality() throws Exception {
        WorkloadState state = reader.read(cluster, ClusterCredentials.ofToken(readerToken));
        ExportDiscovery.Discovery discovery = ExportDiscovery.discover(state, cluster.locality());

        assertEquals(List.of(
                new ExportedService(NS, "ratings", List.of(new ServicePort("grpc-api", 9090, "GRPC", 9091)), List.of(
                        new ServiceEndpoint("10.1.1.1", new Locality("us-east1", "us-east1-d"), true,
                                Map.of("app", "ratings", "version", "v1")))),
                new ExportedService(NS, "reviews", List.of(new ServicePort("http", 9080, "HTTP", 9080)), List.of(
                        new ServiceEndpoint("10.1.0.1", new Locality("us-east1", "us-east1-b"), true,
                                Map.of("app", "reviews", "version", "v1")),
                        new ServiceEndpoint("10.1.0.2", new Locality("us-east1", "us-east1-c"), false,
                                Map.of("app", "reviews", "version", "v2"))))),
                discovery.services());
        assertEquals(List.of("bookinfo/ghost: ServiceExport has no Service of the same name"), discovery.skipped());
        assertEquals(List.of("ratings", "reviews"), state.services().stream().map(s -> s.getMetadata().getName())
                .sorted().toList(), "the unexported Service is not even read");
        assertEquals(List.of("node-a", "node-b"), state.nodes().keySet().stream().sorted().toList());
    }

    @Test
    void theReaderServiceAccountCannotReadSecretsOrWrite() {
        east.admin().secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("db")
                .withNamespace(NS).endMetadata().addToStringData("password", "hunter2").build()).create();
        try (KubernetesClient asReader = east.clientWithToken(readerToken)) {
            var get = assertThrows(KubernetesClientException.class,
                    () -> asReader.secrets().inNamespace(NS).withName("db").get());
            assertEquals(403, get.getCode());
            var list = assertThrows(KubernetesClientException.class,
                    () -> asReader.secrets().inAnyNamespace().list());
            assertEquals(403, list.getCode());
            var write = assertThrows(KubernetesClientException.class, () -> asReader.services().inNamespace(NS)
                    .resource(service(NS, "intruder", true, Map.of("app", "x"), port("http", 80, 80, null))).create());
            assertEquals(403, write.getCode());
        }
    }

    @Test
    void aServiceAccountWithoutTheReaderRoleIsForbiddenNotEmpty() {
        String other = east.serviceAccountToken("meshfed-system", "not-the-reader", KubeApiServer.ISSUER,
                Duration.ofHours(1));
        var failed = assertThrows(RemoteReadException.class,
                () -> reader.read(cluster, ClusterCredentials.ofToken(other)));
        assertEquals(FailureReason.FORBIDDEN, failed.reason());
    }

    @Test
    void aTokenTheServerDoesNotKnowIsUnauthorized() {
        var failed = assertThrows(RemoteReadException.class,
                () -> reader.read(cluster, ClusterCredentials.ofToken("not-a-token")));
        assertEquals(FailureReason.UNAUTHORIZED, failed.reason());
    }
}
