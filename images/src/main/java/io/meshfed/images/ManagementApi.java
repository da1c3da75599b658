package io.meshfed.images;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.KubernetesClusterStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The management cluster an image's process talks to during training, tests and the benchmark: fabric8's mock API
 * server in CRUD mode over HTTPS (a kube-apiserver stand-in: the functions' own tests use it too), holding one
 * registered cluster, {@code east}, without API access. The process reaches it on loopback: a confined process keeps
 * the host's network. {@code -Dmeshfed.images.plain-http-api=true} serves plain HTTP instead (to see what TLS to the
 * API server costs a cold start).
 */
public final class ManagementApi implements AutoCloseable {
    public static final String NAMESPACE = "meshfed";
    public static final MeshCluster EAST = new MeshCluster("east", "net-east", new Locality("us-east1", "us-east1-b"),
            new GatewayAddress("192.0.2.10", 15443), "east.meshfed.example", null);

    /** The mock logs every request at INFO; kept here so the level holds (JUL holds loggers weakly). */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger(
            "io.fabric8.mockwebserver.MockWebServer");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public ManagementApi() {
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), !Boolean.getBoolean("meshfed.images.plain-http-api"));
        server.init();
        client = server.createClient();
        new KubernetesClusterStore(client, NAMESPACE).put(EAST, Optional.empty());
    }

    /** The environment that points a Quarkus process's Kubernetes client here. */
    public Map<String, String> environment() {
        return Map.of(
                "QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", client.getConfiguration().getMasterUrl(),
                "QUARKUS_KUBERNETES_CLIENT_TRUST_CERTS", "true",
                "QUARKUS_KUBERNETES_CLIENT_NAMESPACE", NAMESPACE);
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
