package io.meshfed.pki.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CSRs made by the openssl CLI are signed, and the resulting intermediate is judged by two independent
 * verifiers, {@code openssl verify} and the JDK's PKIX CertPathValidator: a workload leaf in the cluster's
 * own trust domain verifies, a leaf for another trust domain fails on the name constraint.
 */
class OpensslInteropTest {
    private static final String TD = "east.example.org";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} root, openssl {1} CSR")
    @CsvSource({
        "ECDSA_P256, ec",
        "ECDSA_P256, rsa",
        "RSA_4096, ec",
        "RSA_2048, rsa",
    })
    void opensslCsrIsSignedAndNameConstraintsHoldInBothVerifiers(KeyAlgorithm rootAlgorithm, String csrKind)
            throws Exception {
        TestPki pki = TestPki.withRoot(rootAlgorithm);
        pki.clusters.register("east", TD);
        String keySpec = csrKind.equals("ec") ? "ec" : "rsa:2048";
        List<String> newKey = csrKind.equals("ec")
                ? List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")
                : List.of("-newkey", keySpec);
        OpenSsl.run(dir, concat(List.of("req", "-new", "-nodes", "-keyout", "inter.key", "-out", "inter.csr",
                "-subj", "/O=" + TD + "/CN=istiod intermediate",
                "-addext", "subjectAltName=DNS:istiod.istio-system.svc,URI:spiffe://" + TD
                        + "/ns/istio-system/sa/istiod",
                "-addext", "basicConstraints=critical,CA:TRUE"), newKey)).assertOk();

        SigningOutcome outcome = pki.service.handle(TestPki.submitted("east",
                Files.readString(dir.resolve("inter.csr")), "req-1"), "test");
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class, outcome, outcome.toString()).data();
        List<X509Certificate> chain = Pems.certificates(signed.certChain(), "chain");
        X509Certificate intermediate = chain.get(0);
        X509Certificate root = Pems.certificates(signed.trustBundle(), "bundle").get(0);
        assertEquals(2, chain.size());
        assertEquals(root, chain.get(1));
        assertIntermediateExtensions(intermediate, root, signed);

        Files.writeString(dir.resolve("root.pem"), signed.trustBundle());
        Files.writeString(dir.resolve("chain.pem"), signed.certChain());
        Files.writeString(dir.resolve("inter.pem"), Pems.encode(intermediate));
        String text = OpenSsl.run(dir, "x509", "-in", "inter.pem", "-noout", "-text").assertOk().output();
        assertTrue(text.contains("X509v3 Name Constraints: critical"), text);
        assertTrue(text.contains("Permitted:\n                  URI:" + TD), text);
        assertTrue(text.contains("CA:TRUE, pathlen:0"), text);

        X509Certificate own = leaf("own", "spiffe://" + TD + "/ns/default/sa/x");
        X509Certificate foreign = leaf("foreign", "spiffe://west.example.org/ns/default/sa/x");

        OpenSsl.Result ok = OpenSsl.run(dir, "verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "own.pem");
        assertEquals(0, ok.exitCode(), ok.output());
        assertTrue(ok.output().contains("own.pem: OK"), ok.output());
        OpenSsl.Result bad = OpenSsl.run(dir, "verify", "-CAfile", "root.pem", "-untrusted", "chain.pem",
                "foreign.pem");
        assertNotEquals(0, bad.exitCode(), bad.output());
        assertTrue(bad.output().contains("permitted subtree violation"), bad.output());

        jdkValidate(root, List.of(own, intermediate));
        CertPathValidatorException refused = assertThrows(CertPathValidatorException.class,
                () -> jdkValidate(root, List.of(foreign, intermediate)));
        assertTrue(String.valueOf(refused.getMessage()).toLowerCase().contains("name constraint"),
                refused.getMessage());
    }

    static void assertIntermediateExtensions(X509Certificate intermediate, X509Certificate root, CsrSigned signed)
            throws Exception {
        assertEquals(0, intermediate.getBasicConstraints());
        assertTrue(intermediate.getCriticalExtensionOIDs().containsAll(Set.of(
                Extension.basicConstraints.getId(), Extension.keyUsage.getId(), Extension.nameConstraints.getId())));
        boolean[] usage = intermediate.getKeyUsage();
        assertTrue(usage[0] && usage[5] && usage[6], "digitalSignature, keyCertSign, cRLSign");
        for (int i : new int[] {1, 2, 3, 4, 7, 8}) {
            assertFalse(usage.length > i && usage[i], "unexpected key usage bit " + i);
        }
        assertTrue(intermediate.getSerialNumber().signum() > 0);
        assertTrue(intermediate.getSerialNumber().bitLength() <= 128);
        assertEquals(intermediate.getSerialNumber().toString(16), signed.serial());
        byte[] ski = ASN1OctetString.getInstance(intermediate.getExtensionValue(Extension.subjectKeyIdentifier.getId()))
                .getOctets();
        assertNotNull(SubjectKeyIdentifier.getInstance(ski).getKeyIdentifier());
        byte[] rootSki = SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                root.getExtensionValue(Extension.subjectKeyIdentifier.getId())).getOctets()).getKeyIdentifier();
        byte[] aki = AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                intermediate.getExtensionValue(Extension.authorityKeyIdentifier.getId())).getOctets())
                .getKeyIdentifier();
        assertEquals(java.util.HexFormat.of().formatHex(rootSki), java.util.HexFormat.of().formatHex(aki));
        intermediate.verify(root.getPublicKey());
    }

    /** A workload certificate signed by the intermediate's key with the openssl CLI, as a compromised cluster could. */
    private X509Certificate leaf(String name, String spiffeId) throws IOException {
        Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=URI:" + spiffeId + "\n"
                + "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                + "extendedKeyUsage=serverAuth,clientAuth\n");
        OpenSsl.run(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/O=workload").assertOk();
        OpenSsl.run(dir, "x509", "-req", "-in", name + ".csr", "-CA", "inter.pem", "-CAkey", "inter.key",
                "-set_serial", "4242", "-days", "1", "-sha256", "-extfile", name + ".ext", "-out", name + ".pem")
                .assertOk();
        return Pems.certificates(Files.readString(dir.resolve(name + ".pem")), name).get(0);
    }

    static void jdkValidate(X509Certificate root, List<X509Certificate> path) throws Exception {
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    }

    private static String[] concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
    }
}
