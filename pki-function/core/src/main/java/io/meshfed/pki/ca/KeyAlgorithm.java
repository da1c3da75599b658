package io.meshfed.pki.ca;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Locale;

/** The key types meshfed generates for roots and cluster intermediates. */
public enum KeyAlgorithm {
    ECDSA_P256("EC", "secp256r1", 256),
    ECDSA_P384("EC", "secp384r1", 384),
    RSA_2048("RSA", null, 2048),
    RSA_3072("RSA", null, 3072),
    RSA_4096("RSA", null, 4096);

    private final String jcaName;
    private final String curve;
    private final int bits;

    KeyAlgorithm(String jcaName, String curve, int bits) {
        this.jcaName = jcaName;
        this.curve = curve;
        this.bits = bits;
    }

    public KeyPair generate(SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(jcaName);
            if (curve != null) {
                generator.initialize(new ECGenParameterSpec(curve), random);
            } else {
                generator.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), random);
            }
            return generator.generateKeyPair();
        } catch (InvalidAlgorithmParameterException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK cannot generate " + this + " keys", e);
        }
    }

    /**
     * Parses a configuration value: {@code ecdsa-p256}, {@code ECDSA_P256}, {@code rsa-4096}, ... are accepted.
     *
     * @throws InvalidCaMaterialException naming the accepted values
     */
    public static KeyAlgorithm parse(String value) {
        String normalized = value == null ? "" : value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return valueOf(normalized);
        } catch (IllegalArgumentException e) {
            throw new InvalidCaMaterialException("unknown key algorithm '" + value
                    + "'; use one of ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096");
        }
    }

    /** The signature algorithm meshfed signs with when the signing key is {@code key}. */
    public static String signatureAlgorithmFor(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            int fieldBits = ec.getParams().getCurve().getField().getFieldSize();
            return fieldBits > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
        }
        if (key instanceof RSAPublicKey) {
            return "SHA256withRSA";
        }
        throw new InvalidCaMaterialException("unsupported signing key type " + key.getAlgorithm()
                + " (ECDSA or RSA keys only)");
    }

    static void checkUsable(KeyPair pair) throws GeneralSecurityException {
        String algorithm = signatureAlgorithmFor(pair.getPublic());
        java.security.Signature signer = java.security.Signature.getInstance(algorithm);
        signer.initSign(pair.getPrivate());
        byte[] probe = "meshfed key pair check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        signer.update(probe);
        byte[] signature = signer.sign();
        java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
        verifier.initVerify(pair.getPublic());
        verifier.update(probe);
        if (!verifier.verify(signature)) {
            throw new GeneralSecurityException("private key does not match the certificate's public key");
        }
    }
}
