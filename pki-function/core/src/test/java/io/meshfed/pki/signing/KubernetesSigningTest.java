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
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import io.meshfed.pki.testing.ScriptedTokenReviewer;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The production composition on fabric8's CRUD mock server: clusters registered through the registration
 * function's KubernetesClusterStore, the CA state in its Secret, issuances and rejections as ConfigMaps (rejections
 * pruned to the most recent per cluster). The API server that reviews tokens is scripted here; the real one is in
 * {@code TokenReviewRealApiServerTest}.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSigningTest {
    static KubernetesClient client;

    @Test
    void signsForAClusterRegisteredInKubernetesAndRemembersIt() {
        KubernetesClusterStore clusters = new KubernetesClusterStore(client, "meshfed");
        clusters.put(InMemoryClusterStore.clusterWithApiAccess("east", "east.example.org"),
                Optional.of(InMemoryClusterStore.CREDENTIALS));
        KubernetesCaStore caStore = new KubernetesCaStore(client, "meshfed", KubernetesCaStore.DEFAULT_NAME,
                Clock.systemUTC());
        CaState first = caStore.initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "first")));
        CaState second = caStore.initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "second")));
        assertEquals(first.signer().fingerprint(), second.signer().fingerprint(), "the first root wins");

        KubernetesAuditStore audit = new KubernetesAuditStore(client, "meshfed", 2);
        ScriptedTokenReviewer apiServers = new ScriptedTokenReviewer().accept(TestPki.AGENT_TOKEN,
                ServiceAccountName.CSR_AGENT.username(), TokenReviewAuthenticator.DEFAULT_AUDIENCE);
        CsrSigningService service = new CsrSigningService(new TokenReviewAuthenticator(clusters, apiServers,
                TokenReviewAuthenticator.DEFAULT_AUDIENCE, ServiceAccountName.CSR_AGENT, Clock.systemUTC(),
                TokenReviewAuthenticator.DEFAULT_MAX_CACHE_TTL), clusters,
                new CsrChecks(SigningPolicy.defaults(), CryptoProviders.named("conscrypt")),
                new IntermediateSigner(CryptoProviders.named("conscrypt"), new SecureRandom()),
                () -> caStore.load().orElseThrow(), audit, Clock.systemUTC());

        String csr = Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), "east.example.org");
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class,
                service.handle(TestPki.submitted("east", csr, "k8s-1"), "agent")).data();
        SigningOutcome.Signed replay = assertInstanceOf(SigningOutcome.Signed.class,
                service.handle(TestPki.submitted("east", csr, "k8s-1"), "agent"));
        assertTrue(replay.replayed());
        assertEquals(signed.serial(), replay.data().serial());
        assertInstanceOf(SigningOutcome.Rejected.class,
                service.handle(TestPki.submitted("west", csr, "k8s-2"), "agent"));
        assertEquals(1, audit.list().size(), "one issuance; the replay wrote nothing, nor did the refusal of a "
                + "request for an unregistered cluster (nobody was authenticated)");

        String otherDomain = Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), "west.example.org");
        for (int i = 0; i < 4; i++) {
            SigningOutcome.Rejected rejected = assertInstanceOf(SigningOutcome.Rejected.class,
                    service.handle(TestPki.submitted("east", otherDomain, "k8s-r" + i), "agent"));
            assertEquals(RejectionReason.SUBJECT_NOT_ALLOWED, rejected.data().reasons().get(0).reason());
        }
        assertEquals(1, client.configMaps().inNamespace("meshfed").withLabel("meshfed.io/audit", "issued").list()
                .getItems().size());
        List<AuditRecord> rejections = audit.list().stream()
                .filter(r -> r.outcome() == AuditRecord.Outcome.REJECTED).toList();
        assertEquals(List.of("k8s-r2", "k8s-r3"), rejections.stream().map(AuditRecord::requestId).toList(),
                "the authenticated agent's rejections are kept, the two most recent only");
        assertEquals(ServiceAccountName.CSR_AGENT.username(), rejections.get(0).requester());
        assertEquals(2, client.configMaps().inNamespace("meshfed").withLabel("meshfed.io/audit", "rejected")
                .withLabel("meshfed.io/cluster", "east").list().getItems().size());
    }
}
