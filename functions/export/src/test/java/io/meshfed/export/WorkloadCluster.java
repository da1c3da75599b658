package io.meshfed.export;

import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * A workload cluster's API server: fabric8's mock server in CRUD mode over HTTPS with its own self-signed
 * certificate, which is what a registration stores as the cluster's CA. The mock does not check bearer tokens.
 */
final class WorkloadCluster implements AutoCloseable {
    private final MockWebServer web = new MockWebServer();
    private final KubernetesMockServer server;
    private final NamespacedKubernetesClient client;

    WorkloadCluster() {
        server = new KubernetesMockServer(new Context(), web, new HashMap<>(), new KubernetesCrudDispatcher(), true);
        server.init();
        client = server.createClient();
    }

    /** A client for seeding and changing the cluster's objects. */
    NamespacedKubernetesClient client() {
        return client;
    }

    String url() {
        return "https://localhost:" + server.getPort();
    }

    String caPem() {
        try {
            return Files.readString(Path.of(web.getSelfSignedCertificate().certificatePath()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
