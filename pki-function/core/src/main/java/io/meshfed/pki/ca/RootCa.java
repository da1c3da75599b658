package io.meshfed.pki.ca;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/** Generates meshfed's self-signed root CA. */
public final class RootCa {
    /** Istio's own self-signed root defaults to ten years; so does meshfed's. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofDays(3650);

    private RootCa() {
    }

    /**
     * A new root: {@code O=meshfed, CN=<commonName>}, {@code basicConstraints=critical,CA:true} (no path length
     * limit, so a corporate-style intermediate layer stays possible), {@code keyUsage=critical,keyCertSign,
     * cRLSign,digitalSignature}, subject key id, a random 128-bit serial.
     */
    public static CertificateAuthority generate(KeyAlgorithm algorithm, String commonName, Duration lifetime,
            Clock clock, SecureRandom random) {
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new InvalidCaMaterialException("root lifetime must be positive, got " + lifetime);
        }
        if (commonName == null || commonName.isBlank()) {
            throw new InvalidCaMaterialException("root common name is required");
        }
        KeyPair pair = algorithm.generate(random);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "meshfed")
                .addRDN(BCStyle.CN, commonName)
                .build();
        Instant now = clock.instant();
        BigInteger serial = Certificates.randomSerial(random);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(lifetime)), subject,
                    pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            extensions.createSubjectKeyIdentifier(pair.getPublic()));
            SigningKey key = new SigningKey(pair.getPrivate());

            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(builder.build(
                    key.contentSigner(KeyAlgorithm.signatureAlgorithmFor(pair.getPublic()), null)));
            return CertificateAuthority.of(pair.getPrivate(), List.of(certificate), clock);
        } catch (CertIOException | CertificateException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("building a root certificate failed", e);
        }
    }
}
