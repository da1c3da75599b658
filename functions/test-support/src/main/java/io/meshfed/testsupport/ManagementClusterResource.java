package io.meshfed.testsupport;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * The management cluster for {@code @QuarkusTest}s of an app's wiring: fabric8's mock API server in CRUD mode, which
 * the application's KubernetesClient (and so both stores) talks to, so these tests start in seconds. The stores
 * themselves are tested against a real kube-apiserver and etcd (the {@code *RealApiServerTest} classes).
 */
public class ManagementClusterResource implements QuarkusTestResourceLifecycleManager {
    private static KubernetesMockServer server;
    private static KubernetesClient client;

    /** A client of the running mock server, for tests to seed and inspect the management cluster. */
    public static KubernetesClient client() {
        return client;
    }

    @Override
    public Map<String, String> start() {
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", server.url("/"),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", "meshfed");
    }

    @Override
    public void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.destroy();
        }
    }
}
