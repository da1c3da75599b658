package io.meshfed.xds.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A real management cluster for the bridge's watch tests: etcd and kube-apiserver (test-peers/) with meshfed's
 * namespace, the CRDs named and every RBAC manifest applied from {@code knative/manifests}; clients act as the
 * components' ServiceAccounts, so RBAC is exercised.
 */
final class RealManagementCluster implements AutoCloseable {
    static final String NS = ManagementCluster.NAMESPACE;
    private static final Path MANIFESTS = Path.of("../../knative/manifests");

    private final Etcd etcd;
    final KubeApiServer api;

    /** Starts the cluster with the CRD files {@code crds} of {@code knative/manifests/crd}. */
    RealManagementCluster(String... crds) throws IOException {
        etcd = Etcd.start();
        try {
            api = KubeApiServer.start("management", etcd);
            api.apply(MANIFESTS.resolve("namespace.yaml"));
            for (String crd : crds) {
                api.apply(MANIFESTS.resolve("crd").resolve(crd));
            }
            try (var rbac = Files.list(MANIFESTS.resolve("rbac"))) {
                rbac.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(api::apply);
            }
        } catch (IOException | RuntimeException e) {
            etcd.close();
            throw e;
        }
    }

    /** A client acting as the ServiceAccount {@code serviceAccount} of meshfed's namespace. */
    KubernetesClient clientOf(String serviceAccount) {
        return api.clientWithToken(api.serviceAccountToken(NS, serviceAccount, KubeApiServer.ISSUER,
                Duration.ofHours(1)));
    }

    /** Waits up to 30 s for {@code condition}, failing with {@code what}. */
    static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        api.close();
        etcd.close();
    }
}
