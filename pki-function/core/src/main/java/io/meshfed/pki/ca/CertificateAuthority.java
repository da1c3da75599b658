package io.meshfed.pki.ca;

import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A key that signs cluster intermediates, with its certificate and the certificates above it up to a
 * self-signed root: a meshfed-generated root (chain of one), or an intermediate from an existing corporate
 * PKI (chain = that intermediate, its issuers, the corporate root).
 *
 * <p>Immutable and checked when built: the key matches the certificate, the certificate may sign CA
 * certificates (CA:true, keyCertSign, no pathLen 0), every certificate is signed by the next, the last one is
 * self-signed, and none has expired. {@link #toString()} shows the subject and fingerprint, never the key;
 * the private key is reachable only from this package (the stores that persist it).
 */
public final class CertificateAuthority {
    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;
    // Derived once: the signing path reads these for every certificate it issues.
    private final String fingerprint;
    private final String chainPem;
    private final org.bouncycastle.asn1.x500.X500Name subject;
    private final org.bouncycastle.asn1.x509.AuthorityKeyIdentifier authorityKeyIdentifier;
    private final String signatureAlgorithm;
    private final java.util.concurrent.ConcurrentHashMap<String, SigningKey> keysByProvider =
            new java.util.concurrent.ConcurrentHashMap<>();

    private CertificateAuthority(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = privateKey;
        this.chain = List.copyOf(chain);
        X509Certificate signing = chain.get(0);
        this.fingerprint = Certificates.fingerprint(signing);
        this.chainPem = Pems.encodeCertificates(this.chain);
        this.subject = org.bouncycastle.asn1.x500.X500Name.getInstance(signing.getSubjectX500Principal().getEncoded());
        try {
            this.authorityKeyIdentifier = new org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils()
                    .createAuthorityKeyIdentifier(signing);
        } catch (java.security.NoSuchAlgorithmException | java.security.cert.CertificateEncodingException e) {
            throw new InvalidCaMaterialException("cannot derive the authority key identifier of "
                    + signing.getSubjectX500Principal(), e);
        }
        this.signatureAlgorithm = KeyAlgorithm.signatureAlgorithmFor(signing.getPublicKey());
    }

    /**
     * Bring-your-own CA: {@code chainPem} starts with the signing certificate and ends with the root.
     *
     * @throws InvalidCaMaterialException naming the first problem found
     */
    public static CertificateAuthority fromPem(String privateKeyPem, String chainPem, Clock clock) {
        PrivateKey key = Pems.privateKey(privateKeyPem, "CA private key");
        List<X509Certificate> chain = Pems.certificates(chainPem, "CA certificate chain");
        return of(key, chain, clock);
    }

    public static CertificateAuthority of(PrivateKey key, List<X509Certificate> chain, Clock clock) {
        if (chain.isEmpty()) {
            throw new InvalidCaMaterialException("CA certificate chain is empty");
        }
        X509Certificate signing = chain.get(0);
        try {
            KeyAlgorithm.checkUsable(new KeyPair(signing.getPublicKey(), key));
        } catch (java.security.GeneralSecurityException | RuntimeException e) {
            throw new InvalidCaMaterialException("CA private key does not match the first certificate of the chain ("
                    + signing.getSubjectX500Principal() + ")");
        }
        if (signing.getBasicConstraints() < 0) {
            throw new InvalidCaMaterialException(signing.getSubjectX500Principal()
                    + " is not a CA certificate (basicConstraints CA:true missing)");
        }
        if (signing.getBasicConstraints() == 0 && !Certificates.isSelfSigned(signing)) {
            throw new InvalidCaMaterialException(signing.getSubjectX500Principal()
                    + " has pathLenConstraint 0, so it cannot issue cluster intermediate CAs");
        }
        boolean[] usage = signing.getKeyUsage();
        if (usage != null && (usage.length <= 5 || !usage[5])) {
            throw new InvalidCaMaterialException(signing.getSubjectX500Principal()
                    + " lacks the keyCertSign key usage");
        }
        java.util.Date now = java.util.Date.from(clock.instant());
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate cert = chain.get(i);
            try {
                cert.checkValidity(now);
            } catch (java.security.cert.CertificateException e) {
                throw new InvalidCaMaterialException("certificate " + i + " of the CA chain ("
                        + cert.getSubjectX500Principal() + ") is not valid now: " + e.getMessage());
            }
            X509Certificate issuer = i + 1 < chain.size() ? chain.get(i + 1) : cert;
            try {
                cert.verify(issuer.getPublicKey());
            } catch (java.security.GeneralSecurityException e) {
                throw new InvalidCaMaterialException("certificate " + i + " of the CA chain ("
                        + cert.getSubjectX500Principal() + ") is not signed by "
                        + (issuer == cert ? "itself, yet it ends the chain (the chain must end with its root)"
                                : "the next certificate (" + issuer.getSubjectX500Principal() + ")"));
            }
            if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                throw new InvalidCaMaterialException("certificate " + i + " of the CA chain names issuer "
                        + cert.getIssuerX500Principal() + " but is followed by " + issuer.getSubjectX500Principal());
            }
        }
        return new CertificateAuthority(key, chain);
    }

    /** The certificate whose key signs. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The self-signed root this authority chains to. */
    public X509Certificate root() {
        return chain.get(chain.size() - 1);
    }

    /** Signing certificate first, root last. */
    public List<X509Certificate> chain() {
        return chain;
    }

    PrivateKey privateKey() {
        return privateKey;
    }

    /**
     * For the signer in {@code io.meshfed.pki.signing}: a handle that can sign but never exposes the key. The
     * key is translated once per provider (a native provider would otherwise re-import it for every signature).
     */
    public SigningKey signingKey(java.security.Provider provider) {
        String name = provider == null ? "" : provider.getName();
        return keysByProvider.computeIfAbsent(name, n -> new SigningKey(SigningKey.translate(privateKey, provider)));
    }

    public String fingerprint() {
        return fingerprint;
    }

    /** This authority's chain as PEM, signing certificate first. */
    public String chainPem() {
        return chainPem;
    }

    /** The issuer name of the certificates this authority signs. */
    public org.bouncycastle.asn1.x500.X500Name subject() {
        return subject;
    }

    public org.bouncycastle.asn1.x509.AuthorityKeyIdentifier authorityKeyIdentifier() {
        return authorityKeyIdentifier;
    }

    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    @Override
    public String toString() {
        return "CertificateAuthority[" + certificate().getSubjectX500Principal() + ", sha256="
                + fingerprint() + ", root=" + root().getSubjectX500Principal() + "]";
    }

    /** Lists in order without duplicates (by fingerprint). */
    static List<X509Certificate> distinct(List<X509Certificate> certificates) {
        List<X509Certificate> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (X509Certificate c : certificates) {
            if (seen.add(Certificates.fingerprint(c))) {
                out.add(c);
            }
        }
        return Collections.unmodifiableList(out);
    }
}
