package io.meshfed.pki.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.MeshCluster;
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.TestPki;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each check rejects with its own typed reason, and no rejected request ever leaves an issuance behind. */
class CsrChecksTest {
    private static final String TD = "east.example.org";
    private static KeyPair p256;
    private TestPki pki;

    @BeforeAll
    static void keys() {
        p256 = Csrs.keys(KeyAlgorithm.ECDSA_P256);
    }

    @BeforeEach
    void setUp() {
        pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
        pki.clusters.register("east", TD);
    }

    @AfterEach
    void nothingIssuedByRejections() {
        long rejections = pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.REJECTED).count();
        long issued = pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.ISSUED).count();
        assertTrue(rejections + issued == pki.audit.list().size());
        pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.REJECTED)
                .forEach(r -> assertEquals(null, r.serial(), "a rejection has no serial"));
    }

    private Rejection rejected(CsrSubmitted request) {
        int issuedBefore = issuedCount();
        SigningOutcome outcome = pki.service.handle(request, "test");
        SigningOutcome.Rejected rejected = assertInstanceOf(SigningOutcome.Rejected.class, outcome);
        assertEquals(issuedBefore, issuedCount(), "nothing signed");
        assertEquals(1, rejected.data().reasons().size());
        return rejected.data().reasons().get(0);
    }

    private int issuedCount() {
        return (int) pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.ISSUED).count();
    }

    private MeshCluster east() {
        return pki.clusters.get("east").orElseThrow().cluster();
    }

    private static CsrSubmitted submit(String csr) {
        return TestPki.submitted("east", csr, "req-1");
    }

    private void assertReason(RejectionReason expected, CsrSubmitted request, String messagePart) {
        Rejection rejection = rejected(request);
        assertEquals(expected, rejection.reason(), rejection.message());
        assertTrue(rejection.message().contains(messagePart), rejection.message());
    }

    @Test
    void validCsrIsSignedAndAudited() {
        SigningOutcome outcome = pki.service.handle(submit(Csrs.istioIntermediate(p256, TD)), "agent/east");
        assertInstanceOf(SigningOutcome.Signed.class, outcome);
        AuditRecord record = pki.audit.list().get(0);
        assertEquals(AuditRecord.Outcome.ISSUED, record.outcome());
        assertEquals("east", record.cluster());
        assertEquals(ServiceAccountName.CSR_AGENT.username(), record.requester(),
                "the requester is who the API server vouched for, not the event source the sender wrote");
        assertEquals(((SigningOutcome.Signed) outcome).data().serial(), record.serial());
    }

    @Test
    void requestShapeIsChecked() {
        String csr = Csrs.istioIntermediate(p256, TD);
        assertReason(RejectionReason.UNAUTHENTICATED, null, "no token");
        assertReason(RejectionReason.INVALID_REQUEST, TestPki.submitted("East_1", csr, "r"), "cluster");
        assertReason(RejectionReason.INVALID_REQUEST, TestPki.submitted("east", csr, null), "requestId");
        assertReason(RejectionReason.INVALID_REQUEST, TestPki.submitted("east", csr, "../etc"), "requestId");
        assertReason(RejectionReason.INVALID_REQUEST, TestPki.submitted("east", null, "r"), "csr is required");
        assertReason(RejectionReason.INVALID_REQUEST, TestPki.submitted("east", csr, "r", -5L), "lifetimeSeconds");
    }

    @Test
    void tenMegabytePayloadIsRejectedBeforeParsing() {
        String huge = "-----BEGIN CERTIFICATE REQUEST-----\n" + "A".repeat(10 * 1024 * 1024)
                + "\n-----END CERTIFICATE REQUEST-----\n";
        assertReason(RejectionReason.PAYLOAD_TOO_LARGE, submit(huge), "at most 65536");
    }

    @Test
    void malformedPemIsRejected() {
        String csr = Csrs.istioIntermediate(p256, TD);
        assertReason(RejectionReason.MALFORMED_PEM, submit(csr.substring(0, csr.length() / 2)), "END CERTIFICATE REQUEST----- not found");
        assertReason(RejectionReason.MALFORMED_PEM, submit("hello"), "no complete PEM");
        assertReason(RejectionReason.MALFORMED_PEM, submit(csr.replace("CERTIFICATE REQUEST", "CERTIFICATE")),
                "expected 'CERTIFICATE REQUEST'");
        assertReason(RejectionReason.MALFORMED_PEM, submit(csr + csr), "exactly one");
        assertReason(RejectionReason.MALFORMED_PEM, submit("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n"
                + "-----END CERTIFICATE REQUEST-----\n"), "");
    }

    @Test
    void garbageDerIsRejected() {
        String garbage = "-----BEGIN CERTIFICATE REQUEST-----\n"
                + Base64.getMimeEncoder().encodeToString("definitely not DER".getBytes()) + "\n"
                + "-----END CERTIFICATE REQUEST-----\n";
        assertReason(RejectionReason.MALFORMED_DER, submit(garbage), "not a DER PKCS#10");
        byte[] der = Base64.getMimeDecoder().decode(Csrs.istioIntermediate(p256, TD)
                .replaceAll("-----[A-Z ]+-----", ""));
        byte[] truncated = java.util.Arrays.copyOf(der, der.length - 10);
        assertReason(RejectionReason.MALFORMED_DER, submit("-----BEGIN CERTIFICATE REQUEST-----\n"
                + Base64.getMimeEncoder().encodeToString(truncated) + "\n-----END CERTIFICATE REQUEST-----\n"), "DER");
    }

    @Test
    void badSignatureIsRejected() throws Exception {
        var csr = Csrs.build(p256, "O=" + TD, null, null);
        byte[] der = csr.getEncoded().clone();
        der[der.length - 5] ^= 0x01; // inside the signature value
        String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END CERTIFICATE REQUEST-----\n";
        assertEquals(RejectionReason.BAD_SIGNATURE, rejected(submit(pem)).reason());
    }

    @Test
    void unregisteredClusterIsRejected() {
        assertReason(RejectionReason.CLUSTER_NOT_REGISTERED,
                TestPki.submitted("west", Csrs.istioIntermediate(p256, TD), "req-1"), "'west' is not registered");
    }

    @Test
    void weakOrUnknownKeysAreRejected() throws Exception {
        KeyPairGenerator p521 = KeyPairGenerator.getInstance("EC");
        p521.initialize(new ECGenParameterSpec("secp521r1"));
        assertReason(RejectionReason.KEY_NOT_ALLOWED, submit(Csrs.istioIntermediate(p521.generateKeyPair(), TD)),
                "P-256 or P-384");
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        assertReason(RejectionReason.KEY_NOT_ALLOWED, submit(Csrs.istioIntermediate(rsa.generateKeyPair(), TD)),
                "1024 bits");
    }

    /** A CSR signed with {@code provider}: the JDK cannot make or verify every key meshfed must name. */
    private static String csrSignedBy(KeyPair keys, String signatureAlgorithm, java.security.Provider provider)
            throws Exception {
        var builder = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new org.bouncycastle.asn1.x500.X500Name("O=" + TD), keys.getPublic());
        return Csrs.pem(builder.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder(signatureAlgorithm)
                .setProvider(provider).build(keys.getPrivate())));
    }

    @Test
    void anUnsupportedCurveIsAKeyProblemWhateverTheProviderCanVerify() throws Exception {
        var bc = new org.bouncycastle.jce.provider.BouncyCastleProvider();
        KeyPairGenerator k1 = KeyPairGenerator.getInstance("EC", bc);
        k1.initialize(new ECGenParameterSpec("secp256k1"));
        String csr = csrSignedBy(k1.generateKeyPair(), "SHA256withECDSA", bc);
        // jdk: SunEC no longer verifies secp256k1, so the self-signature cannot be checked; bc: it verifies.
        for (String provider : List.of("jdk", "bc")) {
            CsrChecks checks = new CsrChecks(SigningPolicy.defaults(), CryptoProviders.named(provider));
            Rejection rejection = checks.check(submit(csr), east()).rejection().orElseThrow();
            assertEquals(RejectionReason.KEY_NOT_ALLOWED, rejection.reason(), provider + ": " + rejection.message());
            assertEquals("EC key on curve secp256k1 (1.3.132.0.10) is not allowed; use P-256 or P-384 (named curve)",
                    rejection.message(), provider);
        }
        assertReason(RejectionReason.KEY_NOT_ALLOWED, submit(csr), "secp256k1");
    }

    @Test
    void aDsaKeyIsNamedInWords() throws Exception {
        KeyPairGenerator dsa = KeyPairGenerator.getInstance("DSA");
        dsa.initialize(2048);
        assertReason(RejectionReason.KEY_NOT_ALLOWED, submit(csrSignedBy(dsa.generateKeyPair(), "SHA256withDSA",
                new org.bouncycastle.jce.provider.BouncyCastleProvider())), "DSA (1.2.840.10040.4.1) keys are not allowed");
        KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519");
        assertReason(RejectionReason.KEY_NOT_ALLOWED, submit(csrSignedBy(ed.generateKeyPair(), "Ed25519",
                new org.bouncycastle.jce.provider.BouncyCastleProvider())), "Ed25519 (1.3.101.112) keys are not allowed");
    }

    @Test
    void aForgedSignatureOnAnAllowedKeyIsStillABadSignature() throws Exception {
        var csr = Csrs.build(p256, "O=" + TD, null, null);
        byte[] der = csr.getEncoded().clone();
        der[der.length - 5] ^= 0x01;
        String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END CERTIFICATE REQUEST-----\n";
        for (String provider : List.of("jdk", "bc")) {
            CsrChecks checks = new CsrChecks(SigningPolicy.defaults(), CryptoProviders.named(provider));
            assertEquals(RejectionReason.BAD_SIGNATURE, checks.check(submit(pem), east()).rejection().orElseThrow().reason());
        }
    }

    @Test
    void unexpectedExtensionsAreRejected() {
        Extension eku = new Extension(Extension.extendedKeyUsage, false,
                new org.bouncycastle.asn1.DEROctetString(encode(new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))));
        assertReason(RejectionReason.EXTENSION_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "O=" + TD, null, eku))),
                Extension.extendedKeyUsage.getId());
    }

    @Test
    void subjectsAndSansOutsideTheClusterAreRejected() {
        assertReason(RejectionReason.SUBJECT_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "O=" + TD,
                List.of(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://west.example.org/ns/a")),
                null))), "outside the cluster's trust domain");
        assertReason(RejectionReason.SUBJECT_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "O=" + TD,
                List.of(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + TD + ".evil.org/x")),
                null))), "outside");
        assertReason(RejectionReason.SUBJECT_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "O=" + TD,
                List.of(new GeneralName(GeneralName.dNSName, "kubernetes.default.svc")), null))), "DNS SAN");
        assertReason(RejectionReason.SUBJECT_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "O=" + TD,
                List.of(new GeneralName(GeneralName.iPAddress, "10.0.0.1")), null))), "IP address SAN 10.0.0.1");
        assertReason(RejectionReason.SUBJECT_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "O=" + TD,
                List.of(new GeneralName(GeneralName.iPAddress, "2001:db8::1")), null))), "IP address SAN 2001:db8:");
        assertReason(RejectionReason.SUBJECT_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "O=" + TD,
                List.of(new GeneralName(GeneralName.rfc822Name, "admin@east.example.org")), null))),
                "email SAN 'admin@east.example.org' is not allowed");
        assertReason(RejectionReason.SUBJECT_NOT_ALLOWED, submit(Csrs.pem(Csrs.build(p256, "E=a@b.c", null, null))),
                "is not allowed");
    }

    @Test
    void lifetimeIsCapped() {
        String csr = Csrs.istioIntermediate(p256, TD);
        assertReason(RejectionReason.LIFETIME_TOO_LONG, TestPki.submitted("east", csr, "r", 366L * 24 * 3600),
                "exceeds the maximum of 31536000s");
        SigningOutcome ok = pki.service.handle(TestPki.submitted("east", csr, "r2", 3600L), "test");
        CsrSigned signed = assertInstanceOf(SigningOutcome.Signed.class, ok).data();
        java.time.Duration lifetime = java.time.Duration.between(java.time.Instant.parse(signed.notBefore()),
                java.time.Instant.parse(signed.notAfter()));
        assertEquals(java.time.Duration.ofHours(1).plus(IntermediateSigner.BACKDATE), lifetime);
    }

    @Test
    void checksRunInTheDocumentedOrder() {
        // Everything wrong at once: who is asking is settled first, and nothing else is looked at before.
        assertEquals(RejectionReason.UNAUTHENTICATED, rejected(new CsrSubmitted("East_1", "not a csr", "../x", -1L,
                null)).reason());
        assertEquals(RejectionReason.UNAUTHENTICATED, rejected(new CsrSubmitted("east", "not a csr", "../x", -1L,
                "a-token-no-api-server-signed")).reason());
        // Unregistered cluster AND a disallowed SAN: the earlier check (registration) is the one reported.
        String csr = Csrs.pem(Csrs.build(p256, "O=" + TD,
                List.of(new GeneralName(GeneralName.dNSName, "evil.example.com")), null));
        assertEquals(RejectionReason.CLUSTER_NOT_REGISTERED, rejected(TestPki.submitted("west", csr, "r")).reason());
        assertEquals(RejectionReason.SUBJECT_NOT_ALLOWED, rejected(TestPki.submitted("east", csr, "r")).reason());
    }

    @Test
    void replayReturnsTheSameCertificateWithoutSigningAgain() {
        String csr = Csrs.istioIntermediate(p256, TD);
        CsrSigned first = assertInstanceOf(SigningOutcome.Signed.class,
                pki.service.handle(submit(csr), "test")).data();
        SigningOutcome.Signed again = assertInstanceOf(SigningOutcome.Signed.class,
                pki.service.handle(submit(csr), "test"));
        assertTrue(again.replayed());
        assertEquals(first.certChain(), again.data().certChain());
        assertEquals(first.serial(), again.data().serial());
        assertEquals(1, issuedCount());

        Rejection reused = rejected(submit(Csrs.istioIntermediate(Csrs.keys(KeyAlgorithm.ECDSA_P256), TD)));
        assertEquals(RejectionReason.REQUEST_ID_REUSED, reused.reason());
        assertEquals(1, issuedCount());
    }

    @Test
    void rejectionsOfTheAuthenticatedAgentAreAuditedWithTheirReason() {
        rejected(TestPki.submitted("west", Csrs.istioIntermediate(p256, TD), "req-8"));
        assertEquals(List.of(), pki.audit.list(), "a refusal before authentication is not stored");

        rejected(TestPki.submitted("east", Csrs.istioIntermediate(p256, "west.example.org"), "req-9"));
        AuditRecord record = pki.audit.list().get(0);
        assertEquals(AuditRecord.Outcome.REJECTED, record.outcome());
        assertEquals("req-9", record.requestId());
        assertEquals(ServiceAccountName.CSR_AGENT.username(), record.requester());
        assertEquals(RejectionReason.SUBJECT_NOT_ALLOWED, record.reasons().get(0).reason());
        assertTrue(record.csrSha256().matches("[0-9a-f]{64}"));
    }

    private static byte[] encode(org.bouncycastle.asn1.ASN1Object object) {
        try {
            return object.getEncoded();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }


    /** The hand-written request id rule accepts exactly what its documented regex accepts. */
    @Test
    void requestIdRuleAgreesWithItsRegex() {
        java.util.regex.Pattern rule = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
        String alphabet = "aZ09._-/ \u00e9:";
        List<String> candidates = new java.util.ArrayList<>(List.of("", "a".repeat(127), "a".repeat(128),
                "a".repeat(129), "-" + "a".repeat(127), "a".repeat(127) + "/"));
        for (char first : alphabet.toCharArray()) {
            candidates.add(String.valueOf(first));
            for (char second : alphabet.toCharArray()) {
                candidates.add("" + first + second);
                candidates.add("r" + first + second);
            }
        }
        int accepted = 0;
        for (String candidate : candidates) {
            boolean expected = rule.matcher(candidate).matches();
            assertEquals(expected, CsrChecks.isRequestId(candidate), "requestId '" + candidate + "'");
            accepted += expected ? 1 : 0;
        }
        assertTrue(accepted > 10 && accepted < candidates.size() - 10, "the candidates exercise both outcomes");
    }
}
