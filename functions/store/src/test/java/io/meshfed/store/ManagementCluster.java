package io.meshfed.store;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real management cluster for the store tests: etcd and kube-apiserver (test-peers/), with meshfed's namespace, the
 * MeshCluster CRD and the functions' RBAC applied from {@code knative/manifests}, exactly as deploy.sh applies them.
 * The stores under test act as the functions' ServiceAccounts (TokenRequest tokens), so RBAC is exercised; the admin
 * client is for seeding and inspecting only.
 */
final class ManagementCluster implements AutoCloseable {
    static final String NAMESPACE = "meshfed";
    private static final Path MANIFESTS = Path.of("../../knative/manifests");

    private final Etcd etcd;
    private final KubeApiServer api;

    ManagementCluster() {
        etcd = Etcd.start();
        try {
            api = KubeApiServer.start("management", etcd);
            api.apply(MANIFESTS.resolve("namespace.yaml"));
            api.apply(MANIFESTS.resolve("crd/meshcluster.yaml"));
            try (var rbac = Files.list(MANIFESTS.resolve("rbac"))) {
                rbac.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(api::apply);
            }
        } catch (java.io.IOException | RuntimeException e) {
            etcd.close();
            throw new IllegalStateException("cannot start the management cluster: " + e.getMessage(), e);
        }
    }

    KubeApiServer api() {
        return api;
    }

    KubernetesClient admin() {
        return api.admin();
    }

    /** A token of the function's ServiceAccount ({@code meshfed-registration}, {@code meshfed-export}, ...). */
    String tokenOf(String serviceAccount) {
        return api.serviceAccountToken(NAMESPACE, serviceAccount, KubeApiServer.ISSUER, Duration.ofHours(1));
    }

    /** A client acting as the function's ServiceAccount. */
    KubernetesClient clientOf(String serviceAccount) {
        return api.clientWithToken(tokenOf(serviceAccount));
    }

    /** A client acting as the ServiceAccount whose requests pass through {@code interceptor}. */
    KubernetesClient clientOf(String serviceAccount, Interceptor interceptor) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(api.url()).withOauthToken(tokenOf(serviceAccount))
                .withCaCertData(Base64.getEncoder().encodeToString(api.caPem().getBytes(StandardCharsets.US_ASCII)))
                .withNamespace(NAMESPACE).withRequestRetryBackoffLimit(0).build();
        return new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("pause", interceptor)).build();
    }

    /** Removes every object the stores wrote, so each test starts from an empty namespace. */
    void clear() {
        admin().genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER).inNamespace(NAMESPACE).delete();
        admin().secrets().inNamespace(NAMESPACE).withLabel(KubernetesClusterStore.MANAGED_BY, "meshfed").delete();
        admin().configMaps().inNamespace(NAMESPACE).withLabel(KubernetesCatalogStore.CATALOG_LABEL, "true").delete();
    }

    @Override
    public void close() {
        api.close();
        etcd.close();
    }

    /**
     * Holds the first request of one method to a path containing {@code pathPart} until {@link #proceed()}: it is the
     * way a test puts another writer's whole write between this writer's read and its write, deterministically.
     * {@code before} runs on the calling thread for a request's first attempt (and the client does not retry).
     */
    static final class Pause implements Interceptor {
        private final String method;
        private final String pathPart;
        private final AtomicBoolean armed = new AtomicBoolean(true);
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch proceed = new CountDownLatch(1);

        Pause(String method, String pathPart) {
            this.method = method;
            this.pathPart = pathPart;
        }

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            if (request.method().equals(method) && request.uri().getPath().contains(pathPart)
                    && armed.compareAndSet(true, false)) {
                reached.countDown();
                try {
                    if (!proceed.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never let " + method + " " + pathPart + " proceed");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }

        /** Waits until the held request is about to be sent. */
        void awaitReached() throws InterruptedException {
            if (!reached.await(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the writer never sent " + method + " " + pathPart);
            }
        }

        void proceed() {
            proceed.countDown();
        }
    }
}
