package io.meshfed.pki.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The CA state on a real kube-apiserver with meshfed's namespaces and RBAC (knative/manifests): the PKI function's
 * ServiceAccount keeps it in {@code meshfed-pki}; racing root rotations land once (a real resourceVersion
 * conflict); the public copy holds no key; and the other functions' ServiceAccounts cannot read the CA Secret.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class KubernetesCaStoreRealApiServerTest {
    static final Path MANIFESTS = Path.of("../../knative/manifests");
    static final String NS = "meshfed";
    static final String PKI_NS = "meshfed-pki";

    Etcd etcd;
    KubeApiServer api;
    final List<KubernetesClient> clients = new ArrayList<>();

    @BeforeAll
    void start() {
        etcd = Etcd.start();
        api = KubeApiServer.start("ca-store", etcd);
        for (String f : List.of("namespace.yaml", "crd/meshcluster.yaml", "rbac/pki.yaml", "rbac/export.yaml",
                "rbac/registration.yaml")) {
            api.apply(MANIFESTS.resolve(f));
        }
    }

    @AfterAll
    void stop() {
        clients.forEach(KubernetesClient::close);
        if (api != null) {
            api.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    KubernetesClient as(String serviceAccount) {
        KubernetesClient c = api.clientWithToken(api.serviceAccountToken(NS, serviceAccount, KubeApiServer.ISSUER,
                Duration.ofHours(1)));
        clients.add(c);
        return c;
    }

    KubernetesCaStore storeAs(String serviceAccount) {
        return new KubernetesCaStore(as(serviceAccount), PKI_NS, KubernetesCaStore.DEFAULT_NAME, Clock.systemUTC());
    }

    @Test
    void racingRotationsLandOnceAndThePublicCopyFollowsWithoutAKey() throws Exception {
        KubernetesCaStore pki = storeAs("meshfed-pki");
        pki.initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "real root")));
        CaStore.Versioned before = pki.read().orElseThrow();

        int racers = 6;
        List<RacingSaves.Racer> all = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            all.add(new RacingSaves.Racer(storeAs("meshfed-pki"),
                    before.state().introduce(TestPki.root(KeyAlgorithm.ECDSA_P256, "next " + i))));
        }
        RacingSaves race = RacingSaves.run(all, before.version());
        assertEquals(1, race.landed(), "exactly one rotation lands");
        assertEquals(racers - 1, race.refused(), "the others get a conflict");

        CaState stored = pki.load().orElseThrow();
        var copy = api.admin().configMaps().inNamespace(PKI_NS).withName("meshfed-pki-ca-public").get();
        assertEquals(Pems.encodeCertificates(stored.next().orElseThrow().chain()), copy.getData().get("next-chain.pem"),
                "the public copy is the winner's");
        assertFalse(copy.getData().values().stream().anyMatch(v -> v.contains("PRIVATE KEY")), "no key in the copy");
    }

    @Test
    void theOtherFunctionsCannotReadTheCaKey() {
        storeAs("meshfed-pki").initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "real root")));
        for (String other : List.of("meshfed-export", "meshfed-registration")) {
            KubernetesClient client = as(other);
            KubernetesClientException e = assertThrows(KubernetesClientException.class,
                    () -> client.secrets().inNamespace(PKI_NS).withName(KubernetesCaStore.DEFAULT_NAME).get(), other);
            assertEquals(403, e.getCode(), other);
            KubernetesClientException audit = assertThrows(KubernetesClientException.class,
                    () -> client.configMaps().inNamespace(PKI_NS).list(), other);
            assertEquals(403, audit.getCode(), other + " cannot read or rewrite the audit records");
        }
        assertTrue(storeAs("meshfed-pki").load().isPresent(), "the PKI function itself can");
    }
}
