package io.meshfed.pki.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.testsupport.MutableClock;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * Root rotation end to end with two clusters: at every step, including the in-between states where only one
 * cluster has caught up, a workload of each cluster is trusted by the other (PKIX with name constraints,
 * against the other's root-cert.pem). The one ordering mistake the procedure forbids is shown to break trust.
 */
@EnableKubernetesMockClient(crud = true)
class RootRotationTest {
    static KubernetesClient client;

    private final TestPki pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
    private final MutableClock clock = new MutableClock();
    private final InProcessCsrClient csrClient = new InProcessCsrClient(pki.service);

    private final class Cluster {
        final String name;
        final String trustDomain;
        final KubernetesCaCertsStore store;
        final CsrAgent agent;

        Cluster(String name) {
            this.name = name;
            this.trustDomain = name + ".example.org";
            pki.clusters.register(name, trustDomain);
            client.secrets().inNamespace("istio-system-" + name).delete();
            store = new KubernetesCaCertsStore(client, "istio-system-" + name, "cacerts");
            agent = new CsrAgent(AgentSettings.defaults(name, trustDomain), csrClient, () -> TestPki.AGENT_TOKEN,
                    store, clock, new Random(7), List.of());
        }

        CaCerts cacerts() {
            return store.read().orElseThrow();
        }

        /** What istiod of this cluster would sign for a workload: a leaf under its intermediate. */
        List<X509Certificate> workloadChain() throws Exception {
            CaCerts c = cacerts();
            X509Certificate intermediate = Pems.certificates(c.caCert(), "ca").get(0);
            PrivateKey key = Pems.privateKey(c.caKey(), "key");
            KeyPair leafKeys = KeyAlgorithm.ECDSA_P256.generate(new SecureRandom());
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(intermediate.getSubjectX500Principal().getEncoded()), BigInteger.TEN,
                    Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), new X500Name("O=workload"),
                    leafKeys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(
                            GeneralName.uniformResourceIdentifier, "spiffe://" + trustDomain + "/ns/default/sa/x")))
                    .build(new JcaContentSignerBuilder(KeyAlgorithm.signatureAlgorithmFor(intermediate.getPublicKey()))
                            .build(key)));
            List<X509Certificate> chain = new java.util.ArrayList<>();
            chain.add(leaf);
            Pems.certificates(c.certChain(), "chain").stream().filter(x -> !Certificates.isSelfSigned(x))
                    .forEach(chain::add);
            return chain;
        }

        void trusts(Cluster peer) throws Exception {
            Set<TrustAnchor> anchors = new HashSet<>();
            Pems.certificates(cacerts().rootCert(), "roots").forEach(r -> anchors.add(new TrustAnchor(r, null)));
            PKIXParameters parameters = new PKIXParameters(anchors);
            parameters.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(peer.workloadChain()), parameters);
        }

        String activeRootOfIntermediate() {
            List<X509Certificate> chain = Pems.certificates(cacerts().certChain(), "chain");
            return Certificates.fingerprint(chain.get(chain.size() - 1));
        }

        int rootCount() {
            return Pems.certificates(cacerts().rootCert(), "roots").size();
        }
    }

    private void allTrustEachOther(Cluster... clusters) throws Exception {
        for (Cluster a : clusters) {
            for (Cluster b : clusters) {
                a.trusts(b);
            }
        }
    }

    @Test
    void rotationWithoutOutage() throws Exception {
        Cluster east = new Cluster("east");
        Cluster west = new Cluster("west");
        east.agent.reconcile();
        west.agent.reconcile();
        String oldRoot = Certificates.fingerprint(pki.state.get().signer().root());
        allTrustEachOther(east, west);

        // 1. introduce: both roots trusted, the old one still signs.
        CertificateAuthority newAuthority = TestPki.root(KeyAlgorithm.ECDSA_P256, "meshfed root 2");
        pki.state.set(pki.state.get().introduce(newAuthority));
        clock.advance(java.time.Duration.ofMinutes(11));
        east.agent.reconcile();
        allTrustEachOther(east, west); // west has not refreshed yet: still fine, nothing new is signed
        west.agent.reconcile();
        assertEquals(2, east.rootCount());
        assertEquals(2, west.rootCount());
        assertEquals(2, issued(), "a bundle refresh signs nothing");
        allTrustEachOther(east, west);

        // 2. activate: new intermediates come from the new root; clusters reissue one at a time.
        pki.state.set(pki.state.get().activate());
        clock.advance(java.time.Duration.ofMinutes(11));
        east.agent.reconcile();
        String newRoot = Certificates.fingerprint(newAuthority.root());
        assertEquals(newRoot, east.activeRootOfIntermediate());
        assertEquals(oldRoot, west.activeRootOfIntermediate());
        allTrustEachOther(east, west); // mixed intermediates, both bundles hold both roots
        west.agent.reconcile();
        assertEquals(newRoot, west.activeRootOfIntermediate());
        assertEquals(4, issued());
        allTrustEachOther(east, west);

        // 3. retire: the old root leaves every bundle.
        pki.state.set(pki.state.get().retire());
        clock.advance(java.time.Duration.ofMinutes(11));
        east.agent.reconcile();
        allTrustEachOther(east, west);
        west.agent.reconcile();
        assertEquals(1, east.rootCount());
        assertEquals(1, west.rootCount());
        assertEquals(newRoot, Certificates.fingerprint(Pems.certificates(west.cacerts().rootCert(), "r").get(0)));
        assertEquals(4, issued());
        allTrustEachOther(east, west);
    }

    @Test
    void activatingBeforeEveryClusterHasTheNewRootBreaksTrust() throws Exception {
        Cluster east = new Cluster("east");
        Cluster west = new Cluster("west");
        east.agent.reconcile();
        west.agent.reconcile();
        pki.state.set(pki.state.get().introduce(TestPki.root(KeyAlgorithm.ECDSA_P256, "too fast")).activate());
        clock.advance(java.time.Duration.ofMinutes(11));
        east.agent.reconcile(); // east reissues under the new root; west never refreshed
        assertThrows(CertPathValidatorException.class, () -> west.trusts(east));
    }

    private long issued() {
        return pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.ISSUED).count();
    }
}
