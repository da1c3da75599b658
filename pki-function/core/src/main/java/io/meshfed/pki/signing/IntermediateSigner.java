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
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1UTCTime;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * Issues a cluster's intermediate CA certificate from an accepted CSR. Stateless and thread-safe.
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

    /** An issued certificate in its encoded form, with the facts the caller needs without re-parsing it. */
    public record Issued(X509CertificateHolder certificate, java.math.BigInteger serial, Instant notBefore,
            Instant notAfter) {
    }

    /** Signs; nothing on the signing path needs the result parsed back into an X509Certificate. */
    public Issued sign(CsrChecks.Accepted request, CertificateAuthority authority, Instant now) {
        X509Certificate issuer = authority.certificate();
        Instant notBefore = now.minus(BACKDATE);
        Instant notAfter = now.plus(request.lifetime());
        Instant issuerEnd = issuer.getNotAfter().toInstant();
        if (notAfter.isAfter(issuerEnd)) {
            notAfter = issuerEnd;
        }
        try {
            java.math.BigInteger serial = Certificates.randomSerial(random);
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(authority.subject(), serial,
                    asn1Time(notBefore), asn1Time(notAfter),
                    request.csr().getSubject(), request.csr().getSubjectPublicKeyInfo())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false, EXTENSION_UTILS.get()
                            .createSubjectKeyIdentifier(request.csr().getSubjectPublicKeyInfo()))
                    .addExtension(Extension.authorityKeyIdentifier, false, authority.authorityKeyIdentifier())
                    .addExtension(Extension.nameConstraints, true, trustDomainConstraint(
                            request.cluster().trustDomain()));
            if (request.subjectAltNames() != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, request.subjectAltNames());
            }
            return new Issued(builder.build(authority.signingKey(provider).contentSigner(
                    authority.signatureAlgorithm(), provider)), serial, notBefore, notAfter);
        } catch (IOException e) {
            throw new IllegalStateException("building the intermediate certificate failed", e);
        }
    }

    private static final java.time.format.DateTimeFormatter UTC_TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(java.time.ZoneOffset.UTC);
    private static final java.time.format.DateTimeFormatter GENERALIZED_TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(java.time.ZoneOffset.UTC);

    /**
     * RFC 5280 validity time: UTCTime through 2049, GeneralizedTime after, whole seconds. Built from its DER
     * bytes because Bouncy Castle's Date-based constructors format and re-parse with SimpleDateFormat, which
     * showed up as a tenth of the signing path's profile.
     */
    static Time asn1Time(Instant instant) {
        Instant seconds = instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        int year = seconds.atZone(java.time.ZoneOffset.UTC).getYear();
        boolean utc = year >= 1950 && year < 2050;
        byte[] text = (utc ? UTC_TIME : GENERALIZED_TIME).format(seconds)
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] der = new byte[text.length + 2];
        der[0] = (byte) (utc ? 0x17 : 0x18);
        der[1] = (byte) text.length;
        System.arraycopy(text, 0, der, 2, text.length);
        return Time.getInstance(utc ? ASN1UTCTime.getInstance(der) : ASN1GeneralizedTime.getInstance(der));
    }

    /** Not thread-safe (it holds a digest), hence one per thread. */
    private static final ThreadLocal<JcaX509ExtensionUtils> EXTENSION_UTILS = ThreadLocal.withInitial(() -> {
        try {
            return new JcaX509ExtensionUtils();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    });

    /** Permits only URIs whose host is {@code trustDomain}: the SPIFFE IDs {@code spiffe://<trustDomain>/...}. */
    static NameConstraints trustDomainConstraint(String trustDomain) {
        GeneralSubtree ownDomain = new GeneralSubtree(new GeneralName(GeneralName.uniformResourceIdentifier,
                trustDomain));
        return new NameConstraints(new GeneralSubtree[] {ownDomain}, null);
    }
}
