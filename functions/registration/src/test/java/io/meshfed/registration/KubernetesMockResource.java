package io.meshfed.registration;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;

/**
 * fabric8's Kubernetes mock server in CRUD mode, standing in for the management cluster's API server (a
 * real kube-apiserver cannot run here). The function under test talks to it through its normal client.
 */
public class KubernetesMockResource implements QuarkusTestResourceLifecycleManager {
    static KubernetesMockServer server;
    static KubernetesClient client;

    @Override
    public Map<String, String> start() {
        server = new KubernetesMockServer(new io.fabric8.mockwebserver.Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), true);
        server.init();
        client = server.createClient();
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", client.getConfiguration().getMasterUrl(),
                "quarkus.kubernetes-client.trust-certs", "true",
                "quarkus.kubernetes-client.namespace", "meshfed");
    }

    @Override
    public void stop() {
        client.close();
        server.destroy();
    }
}
