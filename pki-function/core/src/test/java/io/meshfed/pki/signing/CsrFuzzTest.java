package io.meshfed.pki.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.testing.Csrs;
import io.meshfed.pki.testing.TestPki;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.CertificationRequest;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.junit.jupiter.api.Test;

/**
 * Feeds thousands of generated and mutated CSRs through the signing service and checks every signature it
 * makes against a separately written policy oracle (JDK signature verification, its own reading of the
 * rules). Fixed seeds keep failures reproducible.
 */
class CsrFuzzTest {
    private static final String TD = "east.example.org";
    private static final long MAX_LIFETIME = 365L * 24 * 3600;
    private static final Set<ASN1ObjectIdentifier> SUBJECT_TYPES = Set.of(BCStyle.O, BCStyle.OU, BCStyle.CN,
            BCStyle.L, BCStyle.ST, BCStyle.C);
    private static final Set<ASN1ObjectIdentifier> EXTENSIONS = Set.of(Extension.subjectAlternativeName,
            Extension.basicConstraints, Extension.keyUsage, Extension.subjectKeyIdentifier);
    private static final Map<String, String> SIGNATURE_NAMES = Map.of(
            "1.2.840.10045.4.3.2", "SHA256withECDSA", "1.2.840.10045.4.3.3", "SHA384withECDSA",
            "1.2.840.113549.1.1.11", "SHA256withRSA", "1.2.840.113549.1.1.12", "SHA384withRSA");

    private final TestPki pki = TestPki.withRoot(KeyAlgorithm.ECDSA_P256);
    private int sequence;
    private int signed;

    CsrFuzzTest() {
        pki.clusters.register("east", TD);
    }

    @Test
    void generatedCsrsAreSignedExactlyWhenThePolicyAllows() throws Exception {
        Random random = new Random(20261126L);
        List<KeyPair> keys = keyPool();
        List<GeneralName> sanPool = List.of(
                new GeneralName(GeneralName.dNSName, "istiod.istio-system.svc"),
                new GeneralName(GeneralName.dNSName, "istiod.istio-system.svc.cluster.local"),
                new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + TD + "/ns/istio-system/sa/istiod"),
                new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + TD),
                new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://west.example.org/ns/a/sa/b"),
                new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + TD + ".evil.org/ns/a"),
                new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + TD + ":443/ns/a"),
                new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + TD + "/ns/a?x=1"),
                new GeneralName(GeneralName.rfc822Name, "ca@" + TD),
                new GeneralName(GeneralName.iPAddress, "10.1.2.3"));
        List<String> subjects = List.of("O=" + TD, "O=" + TD + ",CN=istiod", "CN=x,OU=mesh,L=Paris",
                "E=ops@example.org", "O=" + TD + ",SERIALNUMBER=7", "O=" + "x".repeat(65));
        List<Extension> extras = List.of(
                new Extension(Extension.extendedKeyUsage, false,
                        new DEROctetString(new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))),
                new Extension(Extension.basicConstraints, true, new DEROctetString(new BasicConstraints(false))),
                new Extension(Extension.nameConstraints, true, new DEROctetString(new byte[] {0x30, 0x00})),
                new Extension(Extension.keyUsage, true, new DEROctetString(new org.bouncycastle.asn1.x509.KeyUsage(
                        org.bouncycastle.asn1.x509.KeyUsage.keyCertSign)))); 
        int allowed = 0;
        for (int i = 0; i < 600; i++) {
            KeyPair key = keys.get(random.nextInt(keys.size()));
            List<GeneralName> sans = new ArrayList<>();
            int sanCount = random.nextInt(4);
            for (int s = 0; s < sanCount; s++) {
                sans.add(sanPool.get(random.nextInt(sanPool.size())));
            }
            Extension extra = random.nextInt(4) == 0 ? extras.get(random.nextInt(extras.size())) : null;
            String subject = subjects.get(random.nextInt(subjects.size()));
            byte[] der;
            try {
                der = Csrs.build(key, subject, random.nextInt(5) == 0 ? null : sans, extra).getEncoded();
            } catch (RuntimeException duplicateExtension) {
                continue;
            }
            String cluster = random.nextInt(10) == 0 ? "west" : "east";
            Long lifetime = switch (random.nextInt(4)) {
                case 0 -> null;
                case 1 -> 3600L;
                case 2 -> MAX_LIFETIME;
                default -> MAX_LIFETIME + 1;
            };
            boolean expected = oracleAllows(der, cluster, lifetime);
            allowed += expected ? 1 : 0;
            boolean wasSigned = submit(der, cluster, lifetime);
            assertEquals(expected, wasSigned, "case " + i + ": subject " + subject + ", SANs " + sans + ", extra "
                    + (extra == null ? null : extra.getExtnId()) + ", cluster " + cluster + ", lifetime " + lifetime);
        }
        assertTrue(allowed > 50 && allowed < 550, "the generator covers both outcomes, allowed=" + allowed);
    }

    @Test
    void mutatedCsrsNeverGetAPolicyViolatingSignature() throws Exception {
        Random random = new Random(5L);
        List<byte[]> seeds = new ArrayList<>();
        for (KeyPair key : keyPool()) {
            seeds.add(Csrs.build(key, "O=" + TD + ",CN=istiod", List.of(
                    new GeneralName(GeneralName.dNSName, "istiod.istio-system.svc"),
                    new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + TD + "/ns/istio-system/sa/istiod")),
                    null).getEncoded());
        }
        int mutations = 4000;
        for (int i = 0; i < mutations; i++) {
            byte[] der = mutate(seeds.get(random.nextInt(seeds.size())), random);
            String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(der)
                    + "\n-----END CERTIFICATE REQUEST-----\n";
            if (random.nextInt(8) == 0) {
                pem = mutateText(pem, random);
            }
            int before = signed;
            String id = "fuzz-" + (sequence++);
            SigningOutcome outcome = pki.service.handle(TestPki.submitted("east", pem, id), "fuzz");
            if (outcome instanceof SigningOutcome.Signed s) {
                signed++;
                byte[] decoded = decodePemLeniently(pem);
                if (decoded == null || !oracleAllows(decoded, "east", null)) {
                    fail("mutation " + i + " was signed but violates the policy: " + pem);
                }
                checkIssued(s.data(), decoded);
            }
            assertTrue(signed - before <= 1);
        }
        long issuedRecords = pki.audit.list().stream().filter(r -> r.outcome() == AuditRecord.Outcome.ISSUED).count();
        assertEquals(signed, issuedRecords, "every signature is audited");
        long rejected = java.util.Arrays.stream(RejectionReason.values())
                .mapToLong(reason -> pki.service.metrics().rejected(reason)).sum();
        assertEquals(mutations, pki.service.metrics().signed() + rejected, "every request is counted");
        assertEquals(Math.min(mutations - signed, AuditStore.DEFAULT_REJECTIONS_KEPT),
                pki.audit.list().size() - issuedRecords, "the most recent rejections are kept, no more");
    }

    private boolean submit(byte[] der, String cluster, Long lifetime) throws Exception {
        String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder().encodeToString(der)
                + "\n-----END CERTIFICATE REQUEST-----\n";
        SigningOutcome outcome = pki.service.handle(TestPki.submitted(cluster, pem, "gen-" + (sequence++), lifetime),
                "fuzz");
        if (outcome instanceof SigningOutcome.Signed s) {
            checkIssued(s.data(), der);
            return true;
        }
        return false;
    }

    /** The issued certificate carries the CSR's key and SANs and meshfed's CA extensions, nothing more. */
    private static void checkIssued(CsrSigned signed, byte[] csrDer) throws Exception {
        X509Certificate issued = Pems.certificates(signed.certChain(), "chain").get(0);
        CertificationRequest csr = CertificationRequest.getInstance(ASN1Primitive.fromByteArray(csrDer));
        assertTrue(java.util.Arrays.equals(csr.getCertificationRequestInfo().getSubjectPublicKeyInfo().getEncoded(),
                issued.getPublicKey().getEncoded()), "issued for the CSR's key");
        assertEquals(0, issued.getBasicConstraints());
        assertTrue(issued.getCriticalExtensionOIDs().contains(Extension.nameConstraints.getId()));
        if (issued.getSubjectAlternativeNames() != null) {
            for (List<?> san : issued.getSubjectAlternativeNames()) {
                String value = String.valueOf(san.get(1));
                assertTrue(value.equals("istiod.istio-system.svc") || value.startsWith("spiffe://" + TD + "/")
                        || value.equals("spiffe://" + TD), value);
            }
        }
    }

    /** The policy, written independently of CsrChecks: JDK crypto for the signature, BC ASN.1 for structure. */
    private boolean oracleAllows(byte[] der, String cluster, Long lifetime) {
        try {
            if (!cluster.equals("east") || (lifetime != null && (lifetime <= 0 || lifetime > MAX_LIFETIME))) {
                return false;
            }
            CertificationRequest csr = CertificationRequest.getInstance(ASN1Primitive.fromByteArray(der));
            var info = csr.getCertificationRequestInfo();
            String signatureName = SIGNATURE_NAMES.get(csr.getSignatureAlgorithm().getAlgorithm().getId());
            if (signatureName == null) {
                return false;
            }
            byte[] spki = info.getSubjectPublicKeyInfo().getEncoded();
            String keyType = info.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm()
                    .equals(PKCSObjectIdentifiers.rsaEncryption) ? "RSA" : "EC";
            PublicKey key = KeyFactory.getInstance(keyType).generatePublic(new X509EncodedKeySpec(spki));
            Signature verifier = Signature.getInstance(signatureName);
            verifier.initVerify(key);
            verifier.update(info.getEncoded(ASN1Encoding.DER));
            if (!verifier.verify(csr.getSignature().getOctets())) {
                return false;
            }
            if (key instanceof ECPublicKey ec) {
                int bits = ec.getParams().getCurve().getField().getFieldSize();
                if (bits != 256 && bits != 384) {
                    return false;
                }
            } else if (key instanceof RSAPublicKey rsa) {
                int bits = rsa.getModulus().bitLength();
                if (bits < 2048 || bits > 8192) {
                    return false;
                }
            } else {
                return false;
            }
            RDN[] rdns = info.getSubject().getRDNs();
            if (rdns.length == 0) {
                return false;
            }
            for (RDN rdn : rdns) {
                ASN1Encodable value = rdn.getFirst().getValue();
                if (rdn.isMultiValued() || !SUBJECT_TYPES.contains(rdn.getFirst().getType())
                        || !(value instanceof ASN1String s) || s.getString().isEmpty() || s.getString().length() > 64) {
                    return false;
                }
            }
            Extensions extensions = null;
            for (int i = 0; info.getAttributes() != null && i < info.getAttributes().size(); i++) {
                Attribute attribute = Attribute.getInstance(info.getAttributes().getObjectAt(i));
                if (!attribute.getAttrType().equals(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)
                        || extensions != null || attribute.getAttrValues().size() != 1) {
                    return false;
                }
                extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
            }
            if (extensions != null) {
                for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
                    if (!EXTENSIONS.contains(oid)) {
                        return false;
                    }
                }
                BasicConstraints bc = BasicConstraints.fromExtensions(extensions);
                if (bc != null && !bc.isCA()) {
                    return false;
                }
                GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
                for (GeneralName name : names == null ? new GeneralName[0] : names.getNames()) {
                    String value = name.getName().toString();
                    boolean ok = (name.getTagNo() == GeneralName.dNSName && value.equals("istiod.istio-system.svc"))
                            || (name.getTagNo() == GeneralName.uniformResourceIdentifier
                                    && (value.equals("spiffe://" + TD) || value.startsWith("spiffe://" + TD + "/"))
                                    && !value.contains("?") && !value.contains("#"));
                    if (!ok) {
                        return false;
                    }
                }
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] der = seed.clone();
        switch (random.nextInt(6)) {
            case 0 -> { // flip 1-4 bits anywhere
                int flips = 1 + random.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    der[random.nextInt(der.length)] ^= (byte) (1 << random.nextInt(8));
                }
            }
            case 1 -> der = java.util.Arrays.copyOf(der, random.nextInt(der.length)); // truncate
            case 2 -> { // insert a random byte
                int at = random.nextInt(der.length);
                byte[] out = new byte[der.length + 1];
                System.arraycopy(der, 0, out, 0, at);
                out[at] = (byte) random.nextInt(256);
                System.arraycopy(der, at, out, at + 1, der.length - at);
                der = out;
            }
            case 3 -> { // delete a byte
                int at = random.nextInt(der.length);
                byte[] out = new byte[der.length - 1];
                System.arraycopy(der, 0, out, 0, at);
                System.arraycopy(der, at + 1, out, at, der.length - at - 1);
                der = out;
            }
            case 4 -> der[random.nextInt(der.length)] = (byte) random.nextInt(256); // overwrite
            default -> { // copy a chunk over another place (confuses lengths and tags)
                int len = 1 + random.nextInt(16);
                int from = random.nextInt(Math.max(1, der.length - len));
                int to = random.nextInt(Math.max(1, der.length - len));
                System.arraycopy(seed, from, der, to, Math.min(len, der.length - to));
            }
        }
        return der;
    }

    private static String mutateText(String pem, Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> pem.substring(0, random.nextInt(pem.length()));
            case 1 -> pem.replace("CERTIFICATE REQUEST", random.nextBoolean() ? "CERTIFICATE" : "PRIVATE KEY");
            case 2 -> pem + pem;
            default -> {
                char[] chars = pem.toCharArray();
                chars[random.nextInt(chars.length)] = (char) random.nextInt(128);
                yield new String(chars);
            }
        };
    }

    private static byte[] decodePemLeniently(String pem) {
        try (var reader = new org.bouncycastle.util.io.pem.PemReader(new java.io.StringReader(pem))) {
            var block = reader.readPemObject();
            return block == null ? null : block.getContent();
        } catch (Exception e) {
            return null;
        }
    }

    private static List<KeyPair> keyPool() throws Exception {
        List<KeyPair> keys = new ArrayList<>();
        keys.add(Csrs.keys(KeyAlgorithm.ECDSA_P256));
        keys.add(Csrs.keys(KeyAlgorithm.ECDSA_P256));
        keys.add(Csrs.keys(KeyAlgorithm.ECDSA_P384));
        keys.add(Csrs.keys(KeyAlgorithm.RSA_2048));
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp521r1"));
        keys.add(ec.generateKeyPair());
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(1024);
        keys.add(rsa.generateKeyPair());
        return keys;
    }
}
