package io.meshfed.testsupport.peers;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throwaway TLS material for serving real peers on loopback: a CA of its own and one serving certificate (ECDSA
 * P-256, one day) for the given DNS names and IP addresses, all as PEM.
 */
public record PeerTls(String caPem, String certificatePem, String keyPem) {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A PEM key pair. */
    public record KeyPem(String privatePem, String publicPem) {
    }

    public static PeerTls create(String caName, List<String> dnsNames, List<String> ips) {
        try {
            KeyPair caKeys = ec();
            KeyPair leafKeys = ec();
            Instant now = Instant.now();
            Date from = Date.from(now.minus(1, ChronoUnit.HOURS));
            Date to = Date.from(now.plus(1, ChronoUnit.DAYS));
            X500Name issuer = new X500Name("CN=" + caName + " test CA");
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate());
            var ca = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM), from, to, issuer, caKeys.getPublic());
            ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            ca.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate caCert = new JcaX509CertificateConverter().getCertificate(ca.build(signer));
            String cn = dnsNames.isEmpty() ? ips.get(0) : dnsNames.get(0);
            var leaf = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, RANDOM), from, to,
                    new X500Name("CN=" + cn), leafKeys.getPublic());
            List<GeneralName> sans = new ArrayList<>();
            dnsNames.forEach(d -> sans.add(new GeneralName(GeneralName.dNSName, d)));
            ips.forEach(i -> sans.add(new GeneralName(GeneralName.iPAddress, i)));
            leaf.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            leaf.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            leaf.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            leaf.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            X509Certificate leafCert = new JcaX509CertificateConverter().getCertificate(leaf.build(signer));
            return new PeerTls(pem(caCert), pem(leafCert), pem(new JcaPKCS8Generator(leafKeys.getPrivate(), null).generate()));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException | IOException e) {
            throw new PeerException("cannot make test TLS material: " + e.getMessage(), e);
        }
    }

    /** A fresh P-256 key pair as PKCS#8 and SubjectPublicKeyInfo PEM. */
    public static KeyPem ecKey() {
        try {
            KeyPair k = ec();
            return new KeyPem(pem(new JcaPKCS8Generator(k.getPrivate(), null).generate()), pem(k.getPublic()));
        } catch (GeneralSecurityException | IOException e) {
            throw new PeerException("cannot make a key: " + e.getMessage(), e);
        }
    }

    /** A client SSL context trusting only this CA. */
    public SSLContext clientContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), RANDOM);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new PeerException("cannot make an SSL context: " + e.getMessage(), e);
        }
    }

    private static KeyPair ec() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        return gen.generateKeyPair();
    }

    private static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }
}
