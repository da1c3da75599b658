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
import java.util.Date;
import org.bouncycastle.asn1.x509.BasicConstraints;
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

    /** The issued certificate, left in its encoded form (nothing on the signing path needs it parsed). */
    public X509CertificateHolder sign(CsrChecks.Accepted request, CertificateAuthority authority, Instant now) {
        X509Certificate issuer = authority.certificate();
        Instant notBefore = now.minus(BACKDATE);
        Instant notAfter = now.plus(request.lifetime());
        Instant issuerEnd = issuer.getNotAfter().toInstant();
        if (notAfter.isAfter(issuerEnd)) {
            notAfter = issuerEnd;
        }
        try {
            X509v3CertificateBuilder builder = new X509v3CertificateBuilder(authority.subject(),
                    Certificates.randomSerial(random), Date.from(notBefore), Date.from(notAfter),
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
            return builder.build(authority.signingKey(provider).contentSigner(authority.signatureAlgorithm(),
                    provider));
        } catch (IOException e) {
            throw new IllegalStateException("building the intermediate certificate failed", e);
        }
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
