package io.meshfed.pki.ca;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the PKI function signs with and what every cluster must trust.
 *
 * <p>Root rotation without an outage is three transitions, each a new immutable state:
 * <ol>
 *   <li>{@link #introduce}: the new authority is stored as {@code next} and its root joins the trust bundle;
 *       the old authority still signs. Agents pick up the two-root bundle.</li>
 *   <li>{@link #activate}: {@code next} becomes the signer. Agents notice that their intermediate does not
 *       chain to the first root of the bundle and reissue.</li>
 *   <li>{@link #retire}: the old root leaves the trust bundle. Agents pick up the one-root bundle.</li>
 * </ol>
 * Invariants (checked when built): the signer's root and the next authority's root are in the trust bundle;
 * the bundle has no duplicates; the signer's root comes first (agents read "first root" as "active root").
 */
public record CaState(CertificateAuthority signer, Optional<CertificateAuthority> next, List<X509Certificate> trustedRoots) {

    public CaState {
        if (signer == null) {
            throw new InvalidCaMaterialException("CA state needs a signing authority");
        }
        next = next == null ? Optional.empty() : next;
        List<X509Certificate> roots = new ArrayList<>();
        roots.add(signer.root());
        roots.addAll(trustedRoots == null ? List.of() : trustedRoots);
        next.ifPresent(n -> roots.add(n.root()));
        trustedRoots = CertificateAuthority.distinct(roots);
        for (X509Certificate root : trustedRoots) {
            if (!Certificates.isSelfSigned(root)) {
                throw new InvalidCaMaterialException("trust bundle entry " + root.getSubjectX500Principal()
                        + " is not a self-signed root");
            }
        }
    }

    public static CaState of(CertificateAuthority signer) {
        return new CaState(signer, Optional.empty(), List.of());
    }

    /** PEM of every trusted root, the active one first. */
    public String trustBundlePem() {
        return Pems.encodeCertificates(trustedRoots);
    }

    /** Step 1 of rotation: trust {@code nextAuthority}'s root everywhere before anything is signed by it. */
    public CaState introduce(CertificateAuthority nextAuthority) {
        if (next.isPresent()) {
            throw new IllegalStateException("a rotation is already in progress (next = " + next.get() + ")");
        }
        return new CaState(signer, Optional.of(nextAuthority), trustedRoots);
    }

    /** Step 2 of rotation: sign with the introduced authority from now on; the old root stays trusted. */
    public CaState activate() {
        CertificateAuthority incoming = next.orElseThrow(
                () -> new IllegalStateException("nothing to activate: introduce a new authority first"));
        List<X509Certificate> roots = new ArrayList<>();
        roots.add(incoming.root());
        roots.addAll(trustedRoots);
        return new CaState(incoming, Optional.empty(), roots);
    }

    /** Step 3 of rotation: stop trusting every root that is neither the signer's nor the next authority's. */
    public CaState retire() {
        List<X509Certificate> roots = new ArrayList<>();
        roots.add(signer.root());
        next.ifPresent(n -> roots.add(n.root()));
        return new CaState(signer, next, roots);
    }

    @Override
    public String toString() {
        return "CaState[signer=" + signer + ", next=" + next + ", trustedRoots=" + trustedRoots.stream()
                .map(Certificates::fingerprint).toList() + "]";
    }
}
