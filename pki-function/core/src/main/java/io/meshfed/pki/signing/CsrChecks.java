package io.meshfed.pki.signing;

import io.meshfed.model.MeshCluster;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.Provider;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/**
 * Every check of what an authenticated caller asks for, one rule per step, in a fixed order, each failing with
 * its own {@link RejectionReason}: request shape, size, PEM, DER, self-signature, key, requested extensions,
 * subject and SANs, lifetime. Who asks was settled before ({@link CallerAuthenticator}), and with it the
 * registered cluster the request is checked against. Pure; safe to call concurrently.
 */
public final class CsrChecks {
    private static final Set<ASN1ObjectIdentifier> SUBJECT_ATTRIBUTES = Set.of(BCStyle.O, BCStyle.OU, BCStyle.CN,
            BCStyle.L, BCStyle.ST, BCStyle.C);
    private static final Set<ASN1ObjectIdentifier> REQUESTABLE_EXTENSIONS = Set.of(Extension.subjectAlternativeName,
            Extension.basicConstraints, Extension.keyUsage, Extension.subjectKeyIdentifier);
    private static final Set<ASN1ObjectIdentifier> REQUESTABLE_CLIENT_EXTENSIONS = Set.of(
            Extension.subjectAlternativeName, Extension.basicConstraints, Extension.keyUsage,
            Extension.subjectKeyIdentifier, Extension.extendedKeyUsage);
    private static final int[] NON_CA_KEY_USAGES = {KeyUsage.nonRepudiation, KeyUsage.keyEncipherment,
        KeyUsage.dataEncipherment, KeyUsage.keyAgreement, KeyUsage.encipherOnly, KeyUsage.decipherOnly};
    private static final int[] NON_CLIENT_KEY_USAGES = {KeyUsage.nonRepudiation, KeyUsage.dataEncipherment,
        KeyUsage.keyAgreement, KeyUsage.keyCertSign, KeyUsage.cRLSign, KeyUsage.encipherOnly, KeyUsage.decipherOnly};
    private static final int MAX_RSA_BITS = 8192;

    private final SigningPolicy policy;
    private final Provider provider;

    /**
     * A CSR that passed every check: what the signer needs, nothing else. For {@link CsrPurpose#XDS_CLIENT} the
     * names are the one the PKI decides ({@link SigningPolicy#xdsClientName}), not what the CSR asked for.
     */
    public record Accepted(PKCS10CertificationRequest csr, MeshCluster cluster, Duration lifetime,
            GeneralNames subjectAltNames, String csrSha256, CsrPurpose purpose) {
        public Accepted(PKCS10CertificationRequest csr, MeshCluster cluster, Duration lifetime,
                GeneralNames subjectAltNames, String csrSha256) {
            this(csr, cluster, lifetime, subjectAltNames, csrSha256, CsrPurpose.INTERMEDIATE_CA);
        }
    }

    /** Either {@code accepted} or {@code rejection} is present. */
    public record Verdict(Optional<Accepted> accepted, Optional<Rejection> rejection) {
        static Verdict accept(Accepted accepted) {
            return new Verdict(Optional.of(accepted), Optional.empty());
        }

        static Verdict reject(RejectionReason reason, String message) {
            return new Verdict(Optional.empty(), Optional.of(Rejection.of(reason, message)));
        }
    }

    /** {@code provider} verifies the CSR self-signature; null means the JDK's default providers. */
    public CsrChecks(SigningPolicy policy, Provider provider) {
        this.policy = policy;
        this.provider = provider;
    }

    public SigningPolicy policy() {
        return policy;
    }

    /**
     * @param request data of an authenticated caller
     * @param cluster the registration of {@code request.cluster()}, as the caller was authenticated against it
     */
    public Verdict check(CsrSubmitted request, MeshCluster cluster) {
        if (!isRequestId(request.requestId())) {
            return Verdict.reject(RejectionReason.INVALID_REQUEST,
                    "requestId must be 1-128 characters of [A-Za-z0-9._-], starting with a letter or digit");
        }
        if (request.lifetimeSeconds() != null && request.lifetimeSeconds() <= 0) {
            return Verdict.reject(RejectionReason.INVALID_REQUEST,
                    "lifetimeSeconds must be positive, got " + request.lifetimeSeconds());
        }
        Optional<CsrPurpose> parsedPurpose = CsrPurpose.parse(request.purpose());
        if (parsedPurpose.isEmpty()) {
            return Verdict.reject(RejectionReason.INVALID_REQUEST, "purpose '" + clip(request.purpose())
                    + "' is not one of 'intermediate-ca' (the default) and 'xds-client'");
        }
        CsrPurpose purpose = parsedPurpose.get();
        if (purpose == CsrPurpose.XDS_CLIENT && policy.xdsClientDomain() == null) {
            return Verdict.reject(RejectionReason.INVALID_REQUEST, "this PKI issues no xDS client certificates"
                    + " (meshfed.pki.xds-client.domain is not set)");
        }
        String text = request.csr();
        if (text == null || text.isBlank()) {
            return Verdict.reject(RejectionReason.INVALID_REQUEST, "csr is required");
        }
        if (text.length() > policy.maxCsrChars()) {
            return Verdict.reject(RejectionReason.PAYLOAD_TOO_LARGE, "csr is " + text.length()
                    + " characters; at most " + policy.maxCsrChars() + " are accepted");
        }

        byte[] der;
        try {
            der = singleCsrBlock(text);
        } catch (IllegalArgumentException e) {
            return Verdict.reject(RejectionReason.MALFORMED_PEM, e.getMessage());
        }

        PKCS10CertificationRequest csr;
        try {
            csr = new PKCS10CertificationRequest(der);
            // Force full decoding of the parts the later checks read, so a bad encoding is a DER error.
            csr.getSubject();
            csr.getSubjectPublicKeyInfo();
            csr.getAttributes();
        } catch (IOException | RuntimeException e) {
            return Verdict.reject(RejectionReason.MALFORMED_DER, "not a DER PKCS#10 request: " + clip(e.getMessage()));
        }

        if (!verifiesDirectly(csr)) {
            Optional<String> signatureProblem = signatureProblem(csr);
            if (signatureProblem.isPresent()) {
                // A signature that cannot even be checked because the key is of a kind meshfed does not take
                // (secp256k1, which the JDK no longer verifies; Ed448; ...) is the key's problem, not a forgery:
                // the sender can only fix it by changing the key, so say that.
                Optional<String> keyProblem = keyProblem(csr.getSubjectPublicKeyInfo());
                if (keyProblem.isPresent()) {
                    return Verdict.reject(RejectionReason.KEY_NOT_ALLOWED, keyProblem.get());
                }
                return Verdict.reject(RejectionReason.BAD_SIGNATURE, signatureProblem.get());
            }
        }

        Optional<String> keyProblem = keyProblem(csr.getSubjectPublicKeyInfo());
        if (keyProblem.isPresent()) {
            return Verdict.reject(RejectionReason.KEY_NOT_ALLOWED, keyProblem.get());
        }

        Extensions requested;
        try {
            requested = requestedExtensions(csr, purpose);
        } catch (IllegalArgumentException e) {
            return Verdict.reject(RejectionReason.EXTENSION_NOT_ALLOWED, e.getMessage());
        }
        GeneralNames sans;
        try {
            sans = requested == null ? null : GeneralNames.fromExtensions(requested, Extension.subjectAlternativeName);
        } catch (RuntimeException e) {
            return Verdict.reject(RejectionReason.EXTENSION_NOT_ALLOWED, "subjectAltName does not decode");
        }

        Optional<String> subjectProblem = purpose == CsrPurpose.XDS_CLIENT
                ? clientSubjectProblem(csr.getSubject(), sans, cluster)
                : subjectProblem(csr.getSubject(), sans, cluster);
        if (subjectProblem.isPresent()) {
            return Verdict.reject(RejectionReason.SUBJECT_NOT_ALLOWED, subjectProblem.get());
        }

        Duration maxLifetime = purpose == CsrPurpose.XDS_CLIENT ? policy.xdsClientMaxLifetime() : policy.maxLifetime();
        Duration lifetime = request.lifetimeSeconds() == null ? maxLifetime
                : Duration.ofSeconds(request.lifetimeSeconds());
        if (lifetime.compareTo(maxLifetime) > 0) {
            return Verdict.reject(RejectionReason.LIFETIME_TOO_LONG, "requested lifetime " + lifetime.toSeconds()
                    + "s exceeds the maximum of " + maxLifetime.toSeconds() + "s"
                    + (purpose == CsrPurpose.XDS_CLIENT ? " for an xDS client certificate" : ""));
        }
        GeneralNames names = purpose == CsrPurpose.XDS_CLIENT ? new GeneralNames(new GeneralName(GeneralName.dNSName,
                policy.xdsClientName(cluster.name()))) : sans;
        return Verdict.accept(new Accepted(csr, cluster, lifetime, names,
                io.meshfed.pki.ca.Certificates.sha256(der), purpose));
    }

    /** {@code [A-Za-z0-9][A-Za-z0-9._-]{0,127}}, checked without a regex engine (it runs for every request). */
    static boolean isRequestId(String value) {
        if (value == null || value.isEmpty() || value.length() > 128) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean alphanumeric = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
            if (!alphanumeric && (i == 0 || c != '.' && c != '_' && c != '-')) {
                return false;
            }
        }
        return true;
    }

    /** The JCA names of the CSR signature algorithms verified directly, by OID; none takes parameters. */
    private static final java.util.Map<ASN1ObjectIdentifier, String> DIRECT_SIGNATURES = java.util.Map.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, "SHA256withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA384, "SHA384withECDSA",
            X9ObjectIdentifiers.ecdsa_with_SHA512, "SHA512withECDSA",
            PKCSObjectIdentifiers.sha256WithRSAEncryption, "SHA256withRSA",
            PKCSObjectIdentifiers.sha384WithRSAEncryption, "SHA384withRSA",
            PKCSObjectIdentifiers.sha512WithRSAEncryption, "SHA512withRSA");

    /**
     * Per-thread JCA objects of the direct verification, by algorithm name: creating a Signature or KeyFactory
     * through the provider lookup costs about as much as a native P-256 verification. Neither class is
     * thread-safe, hence per thread.
     */
    private final ThreadLocal<java.util.Map<String, Object>> jca = ThreadLocal.withInitial(java.util.HashMap::new);

    /**
     * The CSR's self-signature checked with the provider directly on the DER of its CertificationRequestInfo
     * (the bytes Bouncy Castle's {@code isSignatureValid} verifies), for the common algorithms: EC or RSA key,
     * ECDSA or PKCS#1 v1.5 RSA with SHA-2. True only when the signature verifies; false sends the CSR to
     * {@link #signatureProblem}, the general check, which decides and explains every rejection, so this
     * shortcut can only ever accept what the general check accepts.
     */
    private boolean verifiesDirectly(PKCS10CertificationRequest csr) {
        org.bouncycastle.asn1.x509.AlgorithmIdentifier algorithm = csr.getSignatureAlgorithm();
        String signatureName = DIRECT_SIGNATURES.get(algorithm.getAlgorithm());
        ASN1Encodable parameters = algorithm.getParameters();
        boolean rsa = signatureName != null && signatureName.endsWith("RSA");
        if (signatureName == null
                || parameters != null && !(rsa && parameters instanceof org.bouncycastle.asn1.ASN1Null)) {
            return false;
        }
        ASN1ObjectIdentifier keyAlgorithm = csr.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm();
        String keyName = keyAlgorithm.equals(X9ObjectIdentifiers.id_ecPublicKey) ? "EC"
                : keyAlgorithm.equals(PKCSObjectIdentifiers.rsaEncryption) ? "RSA" : null;
        if (keyName == null || keyName.equals("RSA") != rsa) {
            return false;
        }
        java.util.Map<String, Object> objects = jca.get();
        try {
            java.security.KeyFactory keys = (java.security.KeyFactory) objects.get(keyName);
            if (keys == null) {
                keys = provider == null ? java.security.KeyFactory.getInstance(keyName)
                        : java.security.KeyFactory.getInstance(keyName, provider);
                objects.put(keyName, keys);
            }
            java.security.Signature signature = (java.security.Signature) objects.get(signatureName);
            if (signature == null) {
                signature = provider == null ? java.security.Signature.getInstance(signatureName)
                        : java.security.Signature.getInstance(signatureName, provider);
                objects.put(signatureName, signature);
            }
            signature.initVerify(keys.generatePublic(new java.security.spec.X509EncodedKeySpec(
                    csr.getSubjectPublicKeyInfo().getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER))));
            signature.update(csr.toASN1Structure().getCertificationRequestInfo()
                    .getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER));
            return signature.verify(csr.getSignature());
        } catch (java.security.GeneralSecurityException | IOException | RuntimeException e) {
            // A failed instance may hold state: start this thread's next request from fresh ones.
            objects.clear();
            return false;
        }
    }

    /** The general self-signature check through Bouncy Castle's verifier: empty when the signature verifies. */
    private Optional<String> signatureProblem(PKCS10CertificationRequest csr) {
        try {
            JcaContentVerifierProviderBuilder verifiers = new JcaContentVerifierProviderBuilder();
            if (provider != null) {
                verifiers.setProvider(provider);
            }
            JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
            if (provider != null) {
                keys.setProvider(provider);
            }
            ContentVerifierProvider verifier = verifiers.build(keys.getPublicKey(csr.getSubjectPublicKeyInfo()));
            if (!csr.isSignatureValid(verifier)) {
                return Optional.of("the CSR's self-signature does not verify");
            }
            return Optional.empty();
        } catch (Exception e) {
            // Any failure to verify (unsupported algorithm, key that does not decode) is a failed signature.
            return Optional.of("the CSR's self-signature cannot be verified: " + clip(e.getMessage()));
        }
    }

    private static final String BEGIN = "-----BEGIN ";
    private static final String DASHES = "-----";

    /**
     * The DER content of the one PEM block in {@code text}, which must be a CERTIFICATE REQUEST (or the legacy
     * NEW CERTIFICATE REQUEST). Text outside the block is ignored, as RFC 7468 allows; the base64 body is
     * decoded strictly (whitespace aside). A hand-written reader because the general one was 8 % of the
     * signing path's profile.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static byte[] singleCsrBlock(String text) {
        int begin = text.indexOf(BEGIN);
        int typeEnd = begin < 0 ? -1 : text.indexOf(DASHES, begin + BEGIN.length());
        if (typeEnd < 0) {
            throw new IllegalArgumentException("no complete PEM block found (missing BEGIN/END line or truncated)");
        }
        String type = text.substring(begin + BEGIN.length(), typeEnd);
        String endLine = "-----END " + type + DASHES;
        int end = text.indexOf(endLine, typeEnd + DASHES.length());
        if (end < 0) {
            throw new IllegalArgumentException("unreadable PEM: " + clip(endLine) + " not found");
        }
        if (!type.equals("CERTIFICATE REQUEST") && !type.equals("NEW CERTIFICATE REQUEST")) {
            throw new IllegalArgumentException("PEM block is '" + clip(type) + "', expected 'CERTIFICATE REQUEST'");
        }
        if (text.indexOf(BEGIN, end + endLine.length()) >= 0) {
            throw new IllegalArgumentException("expected exactly one PEM block, found more");
        }
        StringBuilder body = new StringBuilder(end - typeEnd);
        for (int i = typeEnd + DASHES.length(); i < end; i++) {
            char c = text.charAt(i);
            if (c != '\n' && c != '\r' && c != ' ' && c != '\t') {
                body.append(c);
            }
        }
        try {
            byte[] der = java.util.Base64.getDecoder().decode(body.toString());
            if (der.length == 0) {
                throw new IllegalArgumentException("unreadable PEM: the block is empty");
            }
            return der;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("unreadable PEM") ? e.getMessage()
                    : "unreadable PEM: the body is not base64 (" + clip(e.getMessage()) + ")");
        }
    }

    private static Optional<String> keyProblem(SubjectPublicKeyInfo key) {
        ASN1ObjectIdentifier algorithm = key.getAlgorithm().getAlgorithm();
        if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            ASN1Encodable parameters = key.getAlgorithm().getParameters();
            if (parameters instanceof ASN1ObjectIdentifier curve && (curve.equals(SECObjectIdentifiers.secp256r1)
                    || curve.equals(SECObjectIdentifiers.secp384r1))) {
                return Optional.empty();
            }
            return Optional.of("EC key on " + curveName(parameters)
                    + " is not allowed; use P-256 or P-384 (named curve)");
        }
        if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            try {
                BigInteger modulus = RSAPublicKey.getInstance(key.parsePublicKey()).getModulus();
                int bits = modulus.bitLength();
                if (bits < 2048 || bits > MAX_RSA_BITS) {
                    return Optional.of("RSA key of " + bits + " bits is not allowed; use 2048 to " + MAX_RSA_BITS);
                }
                return Optional.empty();
            } catch (IOException | RuntimeException e) {
                return Optional.of("RSA key does not decode");
            }
        }
        return Optional.of(keyAlgorithmName(algorithm) + " keys are not allowed; use ECDSA P-256/P-384 or RSA >= 2048");
    }

    /** Key algorithms a CSR may plausibly carry, named as people know them (X.509 and RFC 8410 OIDs). */
    private static final java.util.Map<ASN1ObjectIdentifier, String> KEY_ALGORITHM_NAMES = java.util.Map.of(
            X9ObjectIdentifiers.id_dsa, "DSA",
            PKCSObjectIdentifiers.id_RSASSA_PSS, "RSASSA-PSS",
            org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519, "Ed25519",
            org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed448, "Ed448",
            org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_X25519, "X25519",
            org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_X448, "X448",
            X9ObjectIdentifiers.dhpublicnumber, "Diffie-Hellman");

    private static String keyAlgorithmName(ASN1ObjectIdentifier algorithm) {
        String name = KEY_ALGORITHM_NAMES.get(algorithm);
        return name != null ? name + " (" + algorithm.getId() + ")" : "key algorithm " + algorithm.getId();
    }

    /** "curve secp256k1 (1.3.132.0.10)", or what the parameters are when they name no curve. */
    private static String curveName(ASN1Encodable parameters) {
        if (parameters instanceof ASN1ObjectIdentifier curve) {
            String name = org.bouncycastle.asn1.x9.ECNamedCurveTable.getName(curve);
            return "curve " + (name == null ? curve.getId() : name + " (" + curve.getId() + ")");
        }
        return "explicit curve parameters (only named curves are taken)";
    }

    /**
     * The extensionRequest, or null when the CSR has none; rejects any other attribute, and any extension or
     * extension value the purpose does not issue.
     */
    private static Extensions requestedExtensions(PKCS10CertificationRequest csr, CsrPurpose purpose) {
        Attribute[] attributes = csr.getAttributes();
        Extensions extensions = null;
        for (Attribute attribute : attributes) {
            if (!attribute.getAttrType().equals(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
                throw new IllegalArgumentException("CSR attribute " + attribute.getAttrType() + " is not allowed");
            }
            if (extensions != null || attribute.getAttrValues().size() != 1) {
                throw new IllegalArgumentException("CSR must carry at most one extensionRequest with one value");
            }
            try {
                extensions = Extensions.getInstance(attribute.getAttrValues().getObjectAt(0));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("extensionRequest does not decode: " + clip(e.getMessage()));
            }
        }
        if (extensions == null) {
            return null;
        }
        if (purpose == CsrPurpose.XDS_CLIENT) {
            return requestedClientExtensions(extensions);
        }
        for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
            if (!REQUESTABLE_EXTENSIONS.contains(oid)) {
                throw new IllegalArgumentException("requested extension " + oid + " is not allowed; only "
                        + "subjectAltName, basicConstraints, keyUsage and subjectKeyIdentifier may be requested");
            }
        }
        try {
            BasicConstraints constraints = BasicConstraints.fromExtensions(extensions);
            if (constraints != null && !constraints.isCA()) {
                throw new IllegalArgumentException("requested basicConstraints CA:false; an intermediate CA is issued");
            }
            KeyUsage usage = KeyUsage.fromExtensions(extensions);
            if (usage != null) {
                for (int other : NON_CA_KEY_USAGES) {
                    if (usage.hasUsages(other)) {
                        throw new IllegalArgumentException(
                                "requested keyUsage beyond keyCertSign, cRLSign, digitalSignature");
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("requested extension does not decode: " + clip(e.getMessage()));
        }
        return extensions;
    }

    /** What an xDS client certificate's CSR may request: a TLS client leaf, nothing more. */
    private static Extensions requestedClientExtensions(Extensions extensions) {
        for (ASN1ObjectIdentifier oid : extensions.getExtensionOIDs()) {
            if (!REQUESTABLE_CLIENT_EXTENSIONS.contains(oid)) {
                throw new IllegalArgumentException("requested extension " + oid + " is not allowed in an xDS client"
                        + " certificate request; only subjectAltName, basicConstraints, keyUsage, extendedKeyUsage and"
                        + " subjectKeyIdentifier may be requested");
            }
        }
        try {
            BasicConstraints constraints = BasicConstraints.fromExtensions(extensions);
            if (constraints != null && constraints.isCA()) {
                throw new IllegalArgumentException("requested basicConstraints CA:true; an xDS client certificate is"
                        + " a leaf (CA:false)");
            }
            KeyUsage usage = KeyUsage.fromExtensions(extensions);
            if (usage != null) {
                for (int other : NON_CLIENT_KEY_USAGES) {
                    if (usage.hasUsages(other)) {
                        throw new IllegalArgumentException("requested keyUsage beyond digitalSignature and"
                                + " keyEncipherment; an xDS client certificate signs TLS handshakes only");
                    }
                }
            }
            org.bouncycastle.asn1.x509.ExtendedKeyUsage extended =
                    org.bouncycastle.asn1.x509.ExtendedKeyUsage.fromExtensions(extensions);
            if (extended != null) {
                for (org.bouncycastle.asn1.x509.KeyPurposeId id : extended.getUsages()) {
                    if (!id.equals(org.bouncycastle.asn1.x509.KeyPurposeId.id_kp_clientAuth)) {
                        throw new IllegalArgumentException("requested extendedKeyUsage " + id.toOID()
                                + "; an xDS client certificate is for TLS clients only (clientAuth)");
                    }
                }
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("requested extension does not decode: " + clip(e.getMessage()));
        }
        return extensions;
    }

    /**
     * An xDS client certificate names its cluster to the bridge with exactly one DNS name, {@code <cluster>.<xDS host
     * domain>}: the CSR may ask for that name or for none (the PKI writes it either way), and for nothing else.
     */
    private Optional<String> clientSubjectProblem(X500Name subject, GeneralNames sans, MeshCluster cluster) {
        Optional<String> subjectProblem = subjectProblem(subject, null, cluster);
        if (subjectProblem.isPresent() || sans == null) {
            return subjectProblem;
        }
        String own = policy.xdsClientName(cluster.name());
        for (GeneralName name : sans.getNames()) {
            String value = name.getName() instanceof ASN1String s ? s.getString() : null;
            if (name.getTagNo() != GeneralName.dNSName) {
                return Optional.of(describeSan(name) + " is not allowed in an xDS client certificate; its only name"
                        + " is DNS " + own);
            }
            if (!own.equalsIgnoreCase(value)) {
                return Optional.of("DNS SAN '" + clip(value) + "' is not allowed in cluster " + cluster.name()
                        + "'s xDS client certificate; its only name is " + own);
            }
        }
        return Optional.empty();
    }

    private Optional<String> subjectProblem(X500Name subject, GeneralNames sans, MeshCluster cluster) {
        RDN[] rdns = subject.getRDNs();
        if (rdns.length == 0) {
            return Optional.of("subject is empty; a CA certificate needs a subject (for example O=<trust domain>)");
        }
        for (RDN rdn : rdns) {
            if (rdn.isMultiValued()) {
                return Optional.of("multi-valued subject RDNs are not allowed");
            }
            ASN1ObjectIdentifier type = rdn.getFirst().getType();
            if (!SUBJECT_ATTRIBUTES.contains(type)) {
                return Optional.of("subject attribute " + BCStyle.INSTANCE.oidToDisplayName(type) + " (" + type
                        + ") is not allowed; use O, OU, CN, L, ST or C");
            }
            ASN1Encodable value = rdn.getFirst().getValue();
            if (!(value instanceof ASN1String string) || string.getString().isEmpty()
                    || string.getString().length() > 64) {
                return Optional.of("subject attribute values must be strings of 1-64 characters");
            }
        }
        if (sans == null) {
            return Optional.empty();
        }
        String ownPrefix = cluster.spiffePrefix();
        for (GeneralName name : sans.getNames()) {
            String value = name.getName() instanceof ASN1String s ? s.getString() : null;
            switch (name.getTagNo()) {
                case GeneralName.dNSName -> {
                    if (!policy.allowedDnsNames().contains(value)) {
                        return Optional.of("DNS SAN '" + clip(value) + "' is not allowed; allowed: "
                                + policy.allowedDnsNames());
                    }
                }
                case GeneralName.uniformResourceIdentifier -> {
                    if (value == null || !(value.equals(ownPrefix.substring(0, ownPrefix.length() - 1))
                            || value.startsWith(ownPrefix)) || !isPlainUri(value)) {
                        return Optional.of("URI SAN '" + clip(value) + "' is outside the cluster's trust domain "
                                + ownPrefix);
                    }
                }
                default -> {
                    return Optional.of(describeSan(name) + " is not allowed; only DNS and SPIFFE URI SANs");
                }
            }
        }
        return Optional.empty();
    }

    /** A SAN of a kind meshfed never signs, named in words with its value where it has a readable one. */
    private static String describeSan(GeneralName name) {
        return switch (name.getTagNo()) {
            case GeneralName.iPAddress -> "IP address SAN " + ipAddress(name);
            case GeneralName.rfc822Name -> "email SAN '" + clip(name.getName() instanceof ASN1String s
                    ? s.getString() : "") + "'";
            case GeneralName.uniformResourceIdentifier -> "URI SAN '" + clip(name.getName() instanceof ASN1String s
                    ? s.getString() : "") + "'";
            case GeneralName.otherName -> "otherName SAN";
            case GeneralName.x400Address -> "X.400 address SAN";
            case GeneralName.directoryName -> "directory name SAN '" + clip(name.getName().toString()) + "'";
            case GeneralName.ediPartyName -> "EDI party name SAN";
            case GeneralName.registeredID -> "registered ID SAN " + clip(name.getName().toString());
            default -> "SAN of type " + name.getTagNo();
        };
    }

    private static String ipAddress(GeneralName name) {
        byte[] octets = org.bouncycastle.asn1.ASN1OctetString.getInstance(name.getName()).getOctets();
        if (octets.length != 4 && octets.length != 16) {
            return "of " + octets.length + " bytes";
        }
        try {
            return java.net.InetAddress.getByAddress(octets).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            return "of " + octets.length + " bytes";
        }
    }

    private static boolean isPlainUri(String value) {
        try {
            URI uri = new URI(value);
            return uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawUserInfo() == null
                    && uri.getPort() == -1;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** Keeps echoed input short and printable: at most 120 characters, anything but printable ASCII as '?'. */
    public static String clip(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 120; i++) {
            char c = text.charAt(i);
            out.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return out.toString();
    }
}
