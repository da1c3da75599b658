package io.meshfed.pki.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.testing.OpenSsl;
import io.meshfed.pki.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The xDS relay's client certificate ({@code purpose: xds-client}): CSRs made by the openssl CLI, the issued
 * certificate judged by {@code openssl verify} for the purpose it is for (a TLS client) and against the ones it is
 * not (a TLS server, a CA), and every way of asking for more than a client leaf naming the caller's own cluster
 * refused with a typed reason, nothing signed.
 */
class XdsClientCertificateTest {
    private static final String DOMAIN = SigningPolicy.DEFAULT_XDS_CLIENT_DOMAIN;

    @TempDir
    Path dir;
    private TestPki pki;

    @BeforeEach
    void registerEast() {
        pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", "east.example.org");
    }

    private String opensslCsr(String name, String... addext) {
        List<String> args = new java.util.ArrayList<>(List.of("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-keyout", name + ".key", "-out", name + ".csr", "-subj",
                "/O=meshfed/CN=xds relay east"));
        for (String e : addext) {
            args.add("-addext");
            args.add(e);
        }
        OpenSsl.run(dir, args.toArray(String[]::new)).assertOk();
        try {
            return Files.readString(dir.resolve(name + ".csr"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private SigningOutcome submit(String csr, String requestId, Long lifetimeSeconds, String purpose) {
        return pki.service.handle(new CsrSubmitted("east", csr, requestId, lifetimeSeconds, TestPki.AGENT_TOKEN,
                purpose), "test");
    }

    @Test
    void aClientLeafNamingTheCallersClusterIsIssuedAndOpensslAgreesWhatItIsFor() throws Exception {
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class,
                submit(opensslCsr("relay"), "xds-1", null, "xds-client")).data();
        X509Certificate leaf = Pems.certificates(signed.certChain(), "chain").get(0);
        assertEquals(-1, leaf.getBasicConstraints(), "a leaf, CA:false");
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage(), "clientAuth only");
        assertTrue(leaf.getKeyUsage()[0], "digitalSignature");
        assertEquals(false, leaf.getKeyUsage()[5], "not keyCertSign");
        assertEquals(List.of(List.of(2, "east." + DOMAIN)), List.copyOf(leaf.getSubjectAlternativeNames()),
                "the PKI wrote the one name, though the CSR asked for none");
        assertNull(leaf.getExtensionValue(Extension.nameConstraints.getId()));
        assertEquals(Duration.ofDays(1).plus(IntermediateSigner.BACKDATE), Duration.between(
                leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()), "the xDS client maximum, one day");
        X509Certificate issuer = Pems.certificates(signed.trustBundle(), "bundle").get(0);
        assertEquals(issuer.getSubjectX500Principal(), leaf.getIssuerX500Principal(),
                "issued directly by the signing CA, which the bridge trusts as its client CA");

        Files.writeString(dir.resolve("root.pem"), signed.trustBundle());
        Files.writeString(dir.resolve("leaf.pem"), Pems.encode(leaf));
        OpenSsl.run(dir, "verify", "-purpose", "sslclient", "-CAfile", "root.pem", "leaf.pem").assertOk();
        OpenSsl.Result asServer = OpenSsl.run(dir, "verify", "-purpose", "sslserver", "-CAfile", "root.pem",
                "leaf.pem");
        assertNotEquals(0, asServer.exitCode(), "not a server certificate: " + asServer.output());
        // A CA the leaf is not: nothing verifies below it.
        OpenSsl.run(dir, "req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout",
                "below.key", "-out", "below.csr", "-subj", "/CN=below").assertOk();
        OpenSsl.run(dir, "x509", "-req", "-in", "below.csr", "-CA", "leaf.pem", "-CAkey", "relay.key",
                "-CAcreateserial", "-days", "1", "-out", "below.pem").assertOk();
        Files.writeString(dir.resolve("untrusted.pem"), Pems.encode(leaf));
        OpenSsl.Result below = OpenSsl.run(dir, "verify", "-CAfile", "root.pem", "-untrusted", "untrusted.pem",
                "below.pem");
        assertNotEquals(0, below.exitCode(), "a certificate below the client leaf must not verify: " + below.output());
    }

    @Test
    void askingForItsOwnNameIsTheSameAsAskingForNone() {
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class, submit(opensslCsr("named",
                "subjectAltName=DNS:east." + DOMAIN, "extendedKeyUsage=clientAuth", "basicConstraints=critical,CA:FALSE",
                "keyUsage=critical,digitalSignature"), "xds-2", 3600L, "xds-client")).data();
        X509Certificate leaf = Pems.certificates(signed.certChain(), "chain").get(0);
        assertEquals(Duration.ofHours(1).plus(IntermediateSigner.BACKDATE), Duration.between(
                leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "another cluster's name | subjectAltName=DNS:west." + DOMAIN + " | SUBJECT_NOT_ALLOWED | west",
        "a second name | subjectAltName=DNS:east." + DOMAIN + ",DNS:bridge." + DOMAIN + " | SUBJECT_NOT_ALLOWED | bridge",
        "a SPIFFE id | subjectAltName=URI:spiffe://east.example.org/ns/a/sa/b | SUBJECT_NOT_ALLOWED | URI SAN",
        "an IP address | subjectAltName=IP:10.0.0.1 | SUBJECT_NOT_ALLOWED | IP address SAN 10.0.0.1",
        "a CA | basicConstraints=critical,CA:TRUE | EXTENSION_NOT_ALLOWED | CA:true",
        "certificate signing | keyUsage=critical,keyCertSign | EXTENSION_NOT_ALLOWED | keyUsage",
        "server use | extendedKeyUsage=serverAuth,clientAuth | EXTENSION_NOT_ALLOWED | 1.3.6.1.5.5.7.3.1",
        "name constraints | nameConstraints=permitted;DNS:east." + DOMAIN + " | EXTENSION_NOT_ALLOWED | 2.5.29.30",
    })
    void moreThanAClientLeafOfItsOwnClusterIsRefused(String what, String extension, RejectionReason reason,
            String named) {
        CsrRejected rejected = assertInstanceOf(SigningOutcome.Rejected.class,
                submit(opensslCsr("bad", extension), "xds-bad", null, "xds-client")).data();
        assertEquals(reason, rejected.reasons().get(0).reason(), what + ": " + rejected);
        assertTrue(rejected.reasons().get(0).message().contains(named), rejected.reasons().get(0).message());
        assertTrue(pki.audit.findIssued("xds-bad").isEmpty(), "nothing issued");
    }

    @Test
    void aLifetimeBeyondTheClientMaximumIsRefused() {
        CsrRejected rejected = assertInstanceOf(SigningOutcome.Rejected.class,
                submit(opensslCsr("long"), "xds-long", Duration.ofDays(2).toSeconds(), "xds-client")).data();
        assertEquals(RejectionReason.LIFETIME_TOO_LONG, rejected.reasons().get(0).reason());
        assertTrue(rejected.reasons().get(0).message().contains("xDS client"), rejected.toString());
    }

    @Test
    void anUnknownPurposeIsAnInvalidRequest() {
        CsrRejected rejected = assertInstanceOf(SigningOutcome.Rejected.class,
                submit(opensslCsr("odd"), "xds-odd", null, "server")).data();
        assertEquals(RejectionReason.INVALID_REQUEST, rejected.reasons().get(0).reason());
        assertTrue(rejected.reasons().get(0).message().contains("'server'"), rejected.toString());
    }

    @Test
    void aPkiWithoutAnXdsDomainIssuesNoClientCertificates() {
        pki = new TestPki(TestPki.root(KeyAlgorithm.ECDSA_P256, "no xds"),
                SigningPolicy.defaults().withXdsClients(null, Duration.ofDays(1)));
        pki.clusters.register("east", "east.example.org");
        CsrRejected rejected = assertInstanceOf(SigningOutcome.Rejected.class,
                submit(opensslCsr("none"), "xds-none", null, "xds-client")).data();
        assertEquals(RejectionReason.INVALID_REQUEST, rejected.reasons().get(0).reason());
        assertTrue(rejected.reasons().get(0).message().contains("meshfed.pki.xds-client.domain"), rejected.toString());
    }

    @Test
    void theCallerIsAuthenticatedFirstAsForAnIntermediate() {
        CsrRejected rejected = assertInstanceOf(SigningOutcome.Rejected.class, pki.service.handle(
                new CsrSubmitted("east", opensslCsr("anon"), "xds-anon", null, null, "xds-client"), "test")).data();
        assertEquals(RejectionReason.UNAUTHENTICATED, rejected.reasons().get(0).reason());
    }
}
