package io.meshfed.pki.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.pki.audit.KubernetesAuditStore;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.KubernetesCaStore;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.InMemoryClusterStore;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.store.KubernetesClusterStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The production composition on fabric8's CRUD mock server: clusters registered through the registration
 * function's KubernetesClusterStore, the CA state in its Secret, issuances and rejections as ConfigMaps.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSigningTest {
    static KubernetesClient client;

    @Test
    void signsForAClusterRegisteredInKubernetesAndRemembersIt() {
        KubernetesClusterStore clusters = new KubernetesClusterStore(client, "meshfed");
        clusters.put(InMemoryClusterStore.cluster("east", "east.example.org"), Optional.empty());
        KubernetesCaStore caStore = new KubernetesCaStore(client, "meshfed", KubernetesCaStore.DEFAULT_NAME,
                Clock.systemUTC());
        CaState first = caStore.initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "first")));
        CaState second = caStore.initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "second")));
        assertEquals(first.signer().fingerprint(), second.signer().fingerprint(), "the first root wins");

        KubernetesAuditStore audit = new KubernetesAuditStore(client, "meshfed");
        CsrSigningService service = new CsrSigningService(
                new CsrChecks(SigningPolicy.defaults(), clusters, CryptoProviders.named("conscrypt")),
                new IntermediateSigner(CryptoProviders.named("conscrypt"), new SecureRandom()),
                () -> caStore.load().orElseThrow(), audit, Clock.systemUTC());

        String csr = Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), "east.example.org");
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class,
                service.handle(new CsrSubmitted("east", csr, "k8s-1"), "agent")).data();
        SigningOutcome.Signed replay = assertInstanceOf(SigningOutcome.Signed.class,
                service.handle(new CsrSubmitted("east", csr, "k8s-1"), "agent"));
        assertTrue(replay.replayed());
        assertEquals(signed.serial(), replay.data().serial());
        assertInstanceOf(SigningOutcome.Rejected.class,
                service.handle(new CsrSubmitted("west", csr, "k8s-2"), "agent"));

        assertEquals(2, audit.list().size(), "one issuance, one rejection; the replay wrote nothing");
        assertEquals(1, client.configMaps().inNamespace("meshfed").withLabel("meshfed.io/audit", "issued").list()
                .getItems().size());
    }
}
