package io.meshfed.testsupport;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway CA, a localhost serving certificate it signed (PKCS#12 keystore) and a client certificate, for
 * HTTPS stand-ins of workload API servers (WireMock, fabric8's mock server) in meshfed's tests.
 */
public record TestTls(String caPem, Path keystore, Path truststore, String clientCertificatePem, String clientKeyPem) {
    public static final String PASSWORD = "changeit";

    public static TestTls create() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        KeyPair caKeys = gen.generateKeyPair();
        KeyPair serverKeys = gen.generateKeyPair();
        Instant now = Instant.now();
        Date from = Date.from(now.minus(1, ChronoUnit.HOURS));
        Date to = Date.from(now.plus(1, ChronoUnit.DAYS));
        X500Name caName = new X500Name("CN=workload-apiserver-ca");
        var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate());
        var caBuilder = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, from, to, caName, caKeys.getPublic());
        caBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        X509Certificate ca = new JcaX509CertificateConverter().getCertificate(caBuilder.build(signer));
        var serverBuilder = new JcaX509v3CertificateBuilder(caName, BigInteger.TWO, from, to,
                new X500Name("CN=localhost"), serverKeys.getPublic());
        serverBuilder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        X509Certificate server = new JcaX509CertificateConverter().getCertificate(serverBuilder.build(signer));

        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("server", serverKeys.getPrivate(), PASSWORD.toCharArray(),
                new java.security.cert.Certificate[] {server, ca});
        Path file = Files.createTempFile("workload-apiserver", ".p12");
        try (var out = Files.newOutputStream(file)) {
            ks.store(out, PASSWORD.toCharArray());
        }
        // A client certificate from the same CA, for API servers that authenticate clients by certificate.
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair clientKeys = rsa.generateKeyPair();
        var clientBuilder = new JcaX509v3CertificateBuilder(caName, BigInteger.valueOf(3), from, to,
                new X500Name("CN=meshfed-export,O=system:masters"), clientKeys.getPublic());
        X509Certificate client = new JcaX509CertificateConverter().getCertificate(clientBuilder.build(signer));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        Path trustFile = Files.createTempFile("workload-apiserver-trust", ".p12");
        try (var out = Files.newOutputStream(trustFile)) {
            trust.store(out, PASSWORD.toCharArray());
        }
        return new TestTls(pem(ca), file, trustFile, pem(client), pem(clientKeys.getPrivate()));
    }

    private static String pem(Object o) throws java.io.IOException {
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(pem)) {
            w.writeObject(o instanceof java.security.PrivateKey k
                    ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null).generate() : o);
        }
        return pem.toString();
    }
}
