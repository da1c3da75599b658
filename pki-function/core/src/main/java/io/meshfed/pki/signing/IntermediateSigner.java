package io.meshfed.pki.signing;

import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.Certificates;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

/**
 * Issues a cluster's intermediate CA certificate, or its xDS relay's client certificate
 * ({@link CsrPurpose#XDS_CLIENT}: {@code basicConstraints=critical,CA:false}, {@code keyUsage=critical,
 * digitalSignature}, {@code extendedKeyUsage=clientAuth}, the one DNS name the checks decided, no name constraints),
 * from an accepted CSR. Thread-safe; the only state is the
 * memoized DER of the current authority's constant parts.
 *
 * <p>The certificate carries exactly: {@code basicConstraints=critical,CA:true,pathlen:0};
 * {@code keyUsage=critical,keyCertSign,cRLSign,digitalSignature}; subject and authority key identifiers; the
 * checked SANs; a random 128-bit serial; and a critical name constraint whose only permitted subtree is the
 * URI host {@code <trust-domain>}. RFC 5280 section 4.2.1.10 matches a URI constraint against the URI's host,
 * and both OpenSSL ({@code nc_uri}) and the JDK ({@code URIName.constrains}) do exactly that: the subtree
 * {@code east.example.org} admits {@code spiffe://east.example.org/ns/a/sa/b} and nothing in another trust
 * domain. (A constraint spelled {@code spiffe://east.example.org/} would match no URI at all in either.)
 * Other name forms (DNS SANs of workload certificates) stay unconstrained.
 */
public final class IntermediateSigner {
    /** Issued certificates start this much in the past, so clusters with a slightly slow clock accept them. */
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private final Provider provider;
    private final SecureRandom random;

    /** {@code provider} signs; null means the JDK's default providers. */
    public IntermediateSigner(Provider provider, SecureRandom random) {
        this.provider = provider;
        this.random = random;
    }

    /** An issued certificate (DER), with the facts the caller needs without re-parsing it. */
    public record Issued(byte[] encoded, java.math.BigInteger serial, Instant notBefore, Instant notAfter) {
        /** The certificate parsed, for callers that inspect it (tests, tools); the signing path does not. */
        public X509CertificateHolder certificate() {
            try {
                return new X509CertificateHolder(encoded);
            } catch (IOException e) {
                throw new IllegalStateException("an issued certificate always parses", e);
            }
        }
    }

    /**
     * The DER parts of a certificate that depend only on the signing authority, derived once per authority:
     * the issuer name, the signature AlgorithmIdentifier, the constant extensions (basicConstraints, keyUsage)
     * and the authority key identifier. Bouncy Castle's certificate builder re-encoded all of them for every
     * certificate.
     */
    private record Template(CertificateAuthority authority, byte[] issuer, byte[] signatureAlgorithm,
            byte[] constantExtensions, byte[] clientExtensions, byte[] authorityKeyIdentifier,
            java.util.concurrent.ConcurrentHashMap<String, byte[]> nameConstraints) {
        static Template of(CertificateAuthority authority) {
            try {
                byte[] constant = concat(
                        Der.extension(oid(Extension.basicConstraints), true, new BasicConstraints(0).getEncoded(DER)),
                        Der.extension(oid(Extension.keyUsage), true, new KeyUsage(
                                KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature).getEncoded(DER)));
                byte[] client = concat(
                        Der.extension(oid(Extension.basicConstraints), true, new BasicConstraints(false).getEncoded(DER)),
                        Der.extension(oid(Extension.keyUsage), true,
                                new KeyUsage(KeyUsage.digitalSignature).getEncoded(DER)),
                        Der.extension(oid(Extension.extendedKeyUsage), false,
                                new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth).getEncoded(DER)));
                return new Template(authority, authority.subject().getEncoded(DER),
                        new DefaultSignatureAlgorithmIdentifierFinder().find(authority.signatureAlgorithm())
                                .getEncoded(DER),
                        constant, client,
                        Der.extension(oid(Extension.authorityKeyIdentifier), false,
                                authority.authorityKeyIdentifier().getEncoded(DER)),
                        new java.util.concurrent.ConcurrentHashMap<>());
            } catch (IOException e) {
                throw new IllegalStateException("the authority's constant certificate parts always encode", e);
            }
        }

        /** The critical nameConstraints extension for {@code trustDomain}; memoized (one per registered domain). */
        byte[] nameConstraintsExtension(String trustDomain) {
            byte[] cached = nameConstraints.get(trustDomain);
            if (cached == null) {
                try {
                    cached = Der.extension(oid(Extension.nameConstraints), true,
                            trustDomainConstraint(trustDomain).getEncoded(DER));
                } catch (IOException e) {
                    throw new IllegalStateException("a name constraint always encodes", e);
                }
                if (nameConstraints.size() < MAX_MEMOIZED_DOMAINS) {
                    nameConstraints.put(trustDomain, cached);
                }
            }
            return cached;
        }
    }

    private static final String DER = org.bouncycastle.asn1.ASN1Encoding.DER;
    private static final int MAX_MEMOIZED_DOMAINS = 4096;
    private static final byte[] VERSION_3 = {(byte) Der.CONTEXT_0, 3, Der.INTEGER, 1, 2};
    private static final byte[] SUBJECT_KEY_IDENTIFIER_OID = oid(Extension.subjectKeyIdentifier);
    private static final byte[] SUBJECT_ALT_NAME_OID = oid(Extension.subjectAlternativeName);

    /** The template of the last authority seen; authorities are immutable, so identity is a safe cache key. */
    private volatile Template template;

    /**
     * Signs; the TBSCertificate is assembled from DER parts and signed directly, and nothing on the signing
     * path parses the result back.
     */
    public Issued sign(CsrChecks.Accepted request, CertificateAuthority authority, Instant now) {
        X509Certificate issuer = authority.certificate();
        Instant notBefore = now.minus(BACKDATE);
        Instant notAfter = now.plus(request.lifetime());
        Instant issuerEnd = issuer.getNotAfter().toInstant();
        if (notAfter.isAfter(issuerEnd)) {
            notAfter = issuerEnd;
        }
        Template parts = template;
        if (parts == null || parts.authority() != authority) {
            parts = Template.of(authority);
            template = parts;
        }
        try {
            java.math.BigInteger serial = Certificates.randomSerial(random);
            SubjectPublicKeyInfo key = request.csr().getSubjectPublicKeyInfo();
            // RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, as Bouncy Castle computes it.
            byte[] keyId = sha1(key.getPublicKeyData().getBytes());
            byte[] subjectKeyIdentifier = Der.extension(SUBJECT_KEY_IDENTIFIER_OID, false,
                    Der.tlv(Der.OCTET_STRING, keyId));
            byte[] subjectAltName = request.subjectAltNames() == null ? new byte[0]
                    : Der.extension(SUBJECT_ALT_NAME_OID, false, request.subjectAltNames().getEncoded(DER));
            byte[] extensions = request.purpose() == CsrPurpose.XDS_CLIENT
                    ? Der.tlv(Der.CONTEXT_3, Der.tlv(Der.SEQUENCE, parts.clientExtensions(), subjectKeyIdentifier,
                            parts.authorityKeyIdentifier(), subjectAltName))
                    : Der.tlv(Der.CONTEXT_3, Der.tlv(Der.SEQUENCE, parts.constantExtensions(), subjectKeyIdentifier,
                            parts.authorityKeyIdentifier(),
                            parts.nameConstraintsExtension(request.cluster().trustDomain()), subjectAltName));
            byte[] tbs = Der.tlv(Der.SEQUENCE, VERSION_3, Der.tlv(Der.INTEGER, serial.toByteArray()),
                    parts.signatureAlgorithm(), parts.issuer(),
                    Der.tlv(Der.SEQUENCE, timeDer(notBefore), timeDer(notAfter)),
                    request.csr().getSubject().getEncoded(DER), key.getEncoded(DER), extensions);
            byte[] signature = authority.signingKey(provider).sign(authority.signatureAlgorithm(), provider, tbs);
            byte[] certificate = Der.tlv(Der.SEQUENCE, tbs, parts.signatureAlgorithm(), Der.bitString(signature));
            return new Issued(certificate, serial, notBefore, notAfter);
        } catch (IOException e) {
            throw new IllegalStateException("building the intermediate certificate failed", e);
        }
    }

    private static byte[] oid(org.bouncycastle.asn1.ASN1ObjectIdentifier oid) {
        try {
            return oid.getEncoded(DER);
        } catch (IOException e) {
            throw new IllegalStateException("an OID always encodes", e);
        }
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] sha1(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    }

    /**
     * RFC 5280 validity time as DER: UTCTime ({@code YYMMDDHHMMSSZ}) through 2049, GeneralizedTime
     * ({@code YYYYMMDDHHMMSSZ}) after, whole seconds, UTC. Written digit by digit: Bouncy Castle's Date-based
     * constructors format and re-parse with SimpleDateFormat, and even a DateTimeFormatter showed in the profile.
     */
    static byte[] timeDer(Instant instant) {
        java.time.LocalDateTime t = java.time.LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0,
                java.time.ZoneOffset.UTC);
        int year = t.getYear();
        if (year < 0 || year > 9999) {
            throw new IllegalArgumentException("validity year " + year + " has no X.509 encoding");
        }
        boolean utc = year >= 1950 && year < 2050;
        byte[] der = new byte[utc ? 15 : 17];
        der[0] = (byte) (utc ? 0x17 : 0x18);
        der[1] = (byte) (der.length - 2);
        int at = 2;
        if (!utc) {
            at = twoDigits(der, at, year / 100);
        }
        at = twoDigits(der, at, year % 100);
        at = twoDigits(der, at, t.getMonthValue());
        at = twoDigits(der, at, t.getDayOfMonth());
        at = twoDigits(der, at, t.getHour());
        at = twoDigits(der, at, t.getMinute());
        at = twoDigits(der, at, t.getSecond());
        der[at] = 'Z';
        return der;
    }

    private static int twoDigits(byte[] out, int at, int value) {
        out[at] = (byte) ('0' + value / 10);
        out[at + 1] = (byte) ('0' + value % 10);
        return at + 2;
    }

    /** Permits only URIs whose host is {@code trustDomain}: the SPIFFE IDs {@code spiffe://<trustDomain>/...}. */
    static NameConstraints trustDomainConstraint(String trustDomain) {
        GeneralSubtree ownDomain = new GeneralSubtree(new GeneralName(GeneralName.uniformResourceIdentifier,
                trustDomain));
        return new NameConstraints(new GeneralSubtree[] {ownDomain}, null);
    }
}
