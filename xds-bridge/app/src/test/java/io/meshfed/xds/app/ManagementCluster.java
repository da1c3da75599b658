package io.meshfed.xds.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import io.meshfed.store.CatalogStore;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The management cluster for tests: fabric8's Kubernetes mock server in CRUD mode (a real kube-apiserver cannot
 * run here) behind meshfed's real Kubernetes stores, with two registered clusters and their catalogs.
 */
public final class ManagementCluster implements AutoCloseable {
    public static final String NAMESPACE = "meshfed";
    public static final Locality EAST_A = new Locality("us-east", "a");
    public static final Locality WEST_A = new Locality("us-west", "a");
    public static final MeshCluster EAST = new MeshCluster("east", "net-east", EAST_A,
            new GatewayAddress("192.0.2.10", 15443), "east.meshfed.example", null);
    public static final MeshCluster WEST = new MeshCluster("west", "net-west", WEST_A,
            new GatewayAddress("192.0.2.20", 15443), "west.meshfed.example", null);

    public final KubernetesMockServer server;
    public final KubernetesClient client;
    public final ClusterStore clusters;
    public final CatalogStore catalogs;

    public ManagementCluster() {
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), true);
        server.init();
        client = server.createClient();
        clusters = new KubernetesClusterStore(client, NAMESPACE);
        catalogs = new KubernetesCatalogStore(client, NAMESPACE);
    }

    /** east exports echo; west exports echo (and cart when asked). */
    public void seed() {
        clusters.put(EAST, Optional.empty());
        clusters.put(WEST, Optional.empty());
        catalogs.put(catalog(EAST, 1, service("demo", "echo", "10.1.0.1", EAST_A)), 0);
        catalogs.put(catalog(WEST, 1, service("demo", "echo", "10.2.0.1", WEST_A)), 0);
    }

    public static ExportedService service(String ns, String name, String ip, Locality locality) {
        return new ExportedService(ns, name, List.of(new ServicePort("grpc", 7070, "GRPC", 7070)),
                List.of(new ServiceEndpoint(ip, locality, true, Map.of("app", name))));
    }

    public static ClusterCatalog catalog(MeshCluster cluster, long version, ExportedService... services) {
        return ClusterCatalog.fresh(cluster, List.of(services), version, Instant.now());
    }

    public Map<String, String> quarkusConfig() {
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", client.getConfiguration().getMasterUrl(),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", NAMESPACE,
                "meshfed.namespace", NAMESPACE);
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
