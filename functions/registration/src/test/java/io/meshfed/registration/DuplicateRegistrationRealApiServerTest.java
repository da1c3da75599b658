package io.meshfed.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.registration.ClusterRegistry.Registered;
import io.meshfed.registration.ClusterRegistry.RegistrationResult;
import io.meshfed.registration.RegistrationRequest.ApiServerInput;
import io.meshfed.registration.RegistrationRequest.CredentialsInput;
import io.meshfed.registration.RegistrationRequest.GatewayInput;
import io.meshfed.registration.RegistrationRequest.LocalityInput;
import io.meshfed.store.ClusterStore.PutResult;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An ordinary broker retry: the same registration delivered twice at once. On a real kube-apiserver with meshfed's
 * CRD and the registration function's RBAC, the registry stores as the {@code meshfed-registration} ServiceAccount,
 * and the probe really connects (the management API server doubles as the workload cluster being registered, with
 * a real ServiceAccount token as the credentials). After every round there must be one MeshCluster whose
 * credentials Secret exists and reads back as the registered token; otherwise export would fail with
 * NO_CREDENTIALS until someone re-registers with different credentials.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class DuplicateRegistrationRealApiServerTest {
    static final String NS = "meshfed";
    static final int ROUNDS = 20;
    static final Path MANIFESTS = Path.of("../../knative/manifests");

    Etcd etcd;
    KubeApiServer api;
    KubernetesClient asRegistration;
    KubernetesClusterStore store;
    ClusterRegistry registry;
    String workloadToken;

    @BeforeAll
    void start() {
        etcd = Etcd.start();
        api = KubeApiServer.start("management", etcd);
        api.apply(MANIFESTS.resolve("namespace.yaml"));
        api.apply(MANIFESTS.resolve("crd/meshcluster.yaml"));
        api.apply(MANIFESTS.resolve("rbac/registration.yaml"));
        asRegistration = api.clientWithToken(api.serviceAccountToken(NS, "meshfed-registration", KubeApiServer.ISSUER,
                Duration.ofHours(1)));
        store = new KubernetesClusterStore(asRegistration, NS);
        registry = new ClusterRegistry(store, new HttpApiServerProbe(Duration.ofSeconds(10)));
        workloadToken = api.serviceAccountToken("meshfed-system", "meshfed-export-reader", KubeApiServer.ISSUER,
                Duration.ofHours(1));
    }

    @AfterAll
    void stop() {
        if (asRegistration != null) {
            asRegistration.close();
        }
        if (api != null) {
            api.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    private RegistrationRequest request(String name, int round) {
        return new RegistrationRequest(name, "net-" + name, new LocalityInput("us-east1", "us-east1-b"),
                new GatewayInput("10.0.2." + (round + 1), 15443), name + ".example.org", "credentials",
                new ApiServerInput(api.url(), api.caPem()), new CredentialsInput(workloadToken, null, null));
    }

    @Test
    void twoIdenticalRegistrationsAtOnceLeaveOneClusterWithReadableCredentials() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<String> lostCredentials = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                String name = "dup-" + round;
                RegistrationRequest request = request(name, round);
                CyclicBarrier together = new CyclicBarrier(2);
                List<Future<RegistrationResult>> deliveries = new ArrayList<>();
                for (int d = 0; d < 2; d++) {
                    deliveries.add(pool.submit(() -> {
                        together.await(30, TimeUnit.SECONDS);
                        return registry.register(request);
                    }));
                }
                List<PutResult> changes = new ArrayList<>();
                for (Future<RegistrationResult> f : deliveries) {
                    changes.add(((Registered) f.get(60, TimeUnit.SECONDS)).change());
                }
                assertEquals(1, changes.stream().filter(PutResult.CREATED::equals).count(), name + " " + changes);

                List<String> clusters = api.admin().genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER)
                        .inNamespace(NS).list().getItems().stream().map(r -> r.getMetadata().getName())
                        .filter(n -> n.equals(name)).toList();
                assertEquals(List.of(name), clusters);
                String secretName = store.get(name).orElseThrow().cluster().apiServer().credentialsSecret();
                Secret secret = api.admin().secrets().inNamespace(NS).withName(secretName).get();
                if (secret == null || !store.credentials(name).equals(
                        Optional.of(ClusterCredentials.ofToken(workloadToken)))) {
                    lostCredentials.add(name + " " + changes);
                }
            }
            assertEquals(List.of(), lostCredentials,
                    "rounds (of " + ROUNDS + ") whose MeshCluster names a credentials Secret that is gone");
            assertEquals(ROUNDS, store.list().size());
            assertNotNull(store.credentials("dup-0").orElseThrow().token());
        } finally {
            pool.shutdownNow();
        }
    }
}
