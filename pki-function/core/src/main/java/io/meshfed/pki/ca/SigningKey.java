package io.meshfed.pki.ca;

import java.security.PrivateKey;
import java.security.Provider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A capability to sign with a CA key without access to the key itself, so that code outside the CA package
 * cannot log, serialize or return it. Not a value: {@link #toString()} says so.
 */
public final class SigningKey {
    private final PrivateKey key;
    /**
     * One initialized {@link java.security.Signature} per thread: looking up a provider's implementation and
     * creating it costs as much as a P-256 signature with a native provider. {@code Signature} is not
     * thread-safe, hence per thread; it is re-initialized before every use.
     */
    private final ThreadLocal<java.security.Signature> signatures = new ThreadLocal<>();

    SigningKey(PrivateKey key) {
        this.key = key;
    }

    /** A fresh single-use content signer; {@code provider} null means the JDK's default providers. */
    public ContentSigner contentSigner(String signatureAlgorithm, Provider provider) {
        JcaContentSignerBuilder builder = new JcaContentSignerBuilder(signatureAlgorithm);
        if (provider != null) {
            builder.setProvider(provider);
        }
        try {
            return builder.build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign with " + signatureAlgorithm, e);
        }
    }

    /**
     * Signs {@code data} with {@code signatureAlgorithm} (a JCA name such as {@code SHA256withECDSA});
     * {@code provider} null means the JDK's default providers. Thread-safe.
     */
    public byte[] sign(String signatureAlgorithm, Provider provider, byte[] data) {
        java.security.Signature signature = signatures.get();
        try {
            if (signature == null || !signature.getAlgorithm().equals(signatureAlgorithm)) {
                signature = provider == null ? java.security.Signature.getInstance(signatureAlgorithm)
                        : java.security.Signature.getInstance(signatureAlgorithm, provider);
                signatures.set(signature);
            }
            signature.initSign(key);
            signature.update(data);
            return signature.sign();
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            // A failed instance may hold state: the next call on this thread starts from a fresh one.
            signatures.remove();
            throw new IllegalStateException("cannot sign with " + signatureAlgorithm, e);
        }
    }

    static PrivateKey translate(PrivateKey key, Provider provider) {
        if (provider == null) {
            return key;
        }
        try {
            return java.security.KeyFactory.getInstance(key.getAlgorithm(), provider).translateKey(key) instanceof
                    PrivateKey translated ? translated : key;
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            return key;
        }
    }

    @Override
    public String toString() {
        return "SigningKey[redacted]";
    }
}
