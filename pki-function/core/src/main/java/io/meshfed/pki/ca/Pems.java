package io.meshfed.pki.ca;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.util.io.pem.PemObject;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/** PEM encoding and decoding of certificates and keys. Errors never echo key material. */
public final class Pems {
    private static final JcaX509CertificateConverter CERTS = new JcaX509CertificateConverter();

    private Pems() {
    }

    public static String encode(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object object : objects) {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new IllegalStateException("PEM encoding into memory failed", e);
        }
        return out.toString();
    }

    public static String encodeCertificates(List<X509Certificate> certificates) {
        return encode(certificates.toArray());
    }

    /** Every certificate in {@code pem}, in order; at least one. */
    public static List<X509Certificate> certificates(String pem, String what) {
        List<X509Certificate> result = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem == null ? "" : pem))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (!(object instanceof X509CertificateHolder holder)) {
                    throw new InvalidCaMaterialException(what + ": expected only CERTIFICATE blocks, found "
                            + object.getClass().getSimpleName());
                }
                result.add(CERTS.getCertificate(holder));
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            if (e instanceof InvalidCaMaterialException invalid) {
                throw invalid;
            }
            throw new InvalidCaMaterialException(what + ": not valid certificate PEM (" + e.getMessage() + ")", e);
        }
        if (result.isEmpty()) {
            throw new InvalidCaMaterialException(what + ": no CERTIFICATE block found");
        }
        return result;
    }

    /** PKCS#8 {@code PRIVATE KEY} PEM: the one form meshfed writes. */
    public static String encodePrivateKey(PrivateKey key) {
        return encode(new PemObject("PRIVATE KEY", key.getEncoded()));
    }

    private static PrivateKey toJdkKey(PrivateKeyInfo info, String what) throws IOException {
        ASN1ObjectIdentifier algorithm = info.getPrivateKeyAlgorithm().getAlgorithm();
        String name;
        if (algorithm.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
            name = "EC";
        } else if (algorithm.equals(PKCSObjectIdentifiers.rsaEncryption)) {
            name = "RSA";
        } else {
            throw new InvalidCaMaterialException(what + ": key algorithm " + algorithm + " is not supported (EC or RSA)");
        }
        try {
            return KeyFactory.getInstance(name).generatePrivate(new PKCS8EncodedKeySpec(info.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new InvalidCaMaterialException(what + ": " + name + " key does not decode");
        }
    }

    /** The single private key in {@code pem} (PKCS#8, or the traditional EC/RSA forms). */
    public static PrivateKey privateKey(String pem, String what) {
        try (PEMParser parser = new PEMParser(new StringReader(pem == null ? "" : pem))) {
            Object object = parser.readObject();
            if (parser.readObject() != null) {
                throw new InvalidCaMaterialException(what + ": expected exactly one private key block");
            }
            if (object instanceof PrivateKeyInfo info) {
                return toJdkKey(info, what);
            }
            if (object instanceof PEMKeyPair pair) {
                return toJdkKey(pair.getPrivateKeyInfo(), what);
            }
            throw new InvalidCaMaterialException(what + ": expected an unencrypted PRIVATE KEY block, found "
                    + (object == null ? "nothing" : object.getClass().getSimpleName()));
        } catch (IOException | RuntimeException e) {
            if (e instanceof InvalidCaMaterialException invalid) {
                throw invalid;
            }
            // The parser's message may quote input; the input is a private key, so do not pass it on.
            throw new InvalidCaMaterialException(what + ": not a readable private key ("
                    + e.getClass().getSimpleName() + ")");
        }
    }
}
