package io.meshfed.pki.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.pki.signing.SigningPolicy;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An intermediate from an existing corporate PKI, with its chain, signs cluster intermediates. */
class BringYourOwnCaTest {
    @TempDir
    Path dir;

    @Test
    void corporateIntermediateSignsClusterIntermediatesThatOpensslVerifies() throws Exception {
        KeyPair rootKeys = KeyAlgorithm.RSA_2048.generate(new java.security.SecureRandom());
        X509Certificate corporateRoot = caCert("CN=Corp Root", rootKeys, "CN=Corp Root", rootKeys, -1);
        KeyPair meshKeys = KeyAlgorithm.ECDSA_P256.generate(new java.security.SecureRandom());
        X509Certificate meshCa = caCert("CN=Corp Mesh CA", meshKeys, "CN=Corp Root", rootKeys, 1);

        CertificateAuthority authority = CertificateAuthority.fromPem(Pems.encodePrivateKey(meshKeys.getPrivate()),
                Pems.encode(meshCa, corporateRoot), Clock.systemUTC());
        assertEquals(corporateRoot, authority.root());

        TestPki pki = new TestPki(authority, SigningPolicy.defaults());
        pki.clusters.register("east", "east.example.org");
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class, pki.service.handle(TestPki.submitted("east",
                Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), "east.example.org"), "r1"), "t")).data();
        List<X509Certificate> chain = Pems.certificates(signed.certChain(), "chain");
        assertEquals(List.of(meshCa, corporateRoot), chain.subList(1, 3));
        assertEquals(List.of(corporateRoot), Pems.certificates(signed.trustBundle(), "bundle"));

        Files.writeString(dir.resolve("root.pem"), signed.trustBundle());
        Files.writeString(dir.resolve("inter.pem"), Pems.encode(chain.get(0)));
        Files.writeString(dir.resolve("untrusted.pem"), Pems.encode(meshCa));
        OpenSsl.Result result = OpenSsl.run(dir, "verify", "-CAfile", "root.pem", "-untrusted", "untrusted.pem",
                "inter.pem");
        assertEquals(0, result.exitCode(), result.output());
    }

    @Test
    void unusableMaterialIsRefusedWithTheReason() throws Exception {
        KeyPair rootKeys = KeyAlgorithm.ECDSA_P256.generate(new java.security.SecureRandom());
        X509Certificate root = caCert("CN=Root", rootKeys, "CN=Root", rootKeys, -1);
        KeyPair otherKeys = KeyAlgorithm.ECDSA_P256.generate(new java.security.SecureRandom());
        assertRefused("does not match", Pems.encodePrivateKey(otherKeys.getPrivate()), Pems.encode(root));

        KeyPair leafKeys = KeyAlgorithm.ECDSA_P256.generate(new java.security.SecureRandom());
        X509Certificate pathLenZero = caCert("CN=Zero", leafKeys, "CN=Root", rootKeys, 0);
        assertRefused("pathLenConstraint 0", Pems.encodePrivateKey(leafKeys.getPrivate()), Pems.encode(pathLenZero, root));
        X509Certificate notCa = caCert("CN=Leaf", leafKeys, "CN=Root", rootKeys, -2);
        assertRefused("not a CA", Pems.encodePrivateKey(leafKeys.getPrivate()), Pems.encode(notCa, root));
        X509Certificate intermediate = caCert("CN=Mid", leafKeys, "CN=Root", rootKeys, 1);
        assertRefused("must end with its root", Pems.encodePrivateKey(leafKeys.getPrivate()), Pems.encode(intermediate));
        assertRefused("no CERTIFICATE block", Pems.encodePrivateKey(leafKeys.getPrivate()), "");
        assertRefused("private key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                Pems.encode(root));
    }

    private static void assertRefused(String messagePart, String keyPem, String chainPem) {
        InvalidCaMaterialException e = assertThrows(InvalidCaMaterialException.class,
                () -> CertificateAuthority.fromPem(keyPem, chainPem, Clock.systemUTC()));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    /** pathLen: -1 = CA without limit, -2 = not a CA, n >= 0 = CA with that limit. */
    static X509Certificate caCert(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, int pathLen)
            throws Exception {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name(subject), subjectKeys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, pathLen == -2 ? new BasicConstraints(false)
                : pathLen == -1 ? new BasicConstraints(true) : new BasicConstraints(pathLen));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder(
                KeyAlgorithm.signatureAlgorithmFor(issuerKeys.getPublic())).build(issuerKeys.getPrivate())));
    }
}
