package io.meshfed.pki.agent;

import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.signing.CsrPurpose;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.store.ConcurrentChangeException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Keeps the cluster's xDS client certificate: the credential the xDS relay beside istiod presents to the bridge,
 * which names the cluster to it. Same shape as {@link CsrAgent}, for a short-lived leaf instead of an
 * intermediate: each {@link #reconcile()} reads the stored material and, when there is none usable or two thirds
 * of its lifetime are gone, makes a new key and a CSR ({@code purpose: xds-client}, no names: the PKI writes the
 * one name {@code <cluster>.<xDS host domain>}), has it signed with the agent's token, checks the reply and writes
 * the three files at once, compare-and-set.
 *
 * <p>The reply must be for this key, a leaf (CA:false) for TLS clients, name exactly one DNS name and that name
 * this cluster's ({@code <cluster>.}...), and chain to the reply's trust bundle, which must share a root with
 * what this cluster already trusts (the previous {@code ca.crt}, or the bootstrap roots) when it trusts anything.
 * Failures keep the stored material and retry with backoff; the pending key and request id survive retries, so a
 * request signed whose reply was lost is collected by replay. Not thread-safe: one reconcile loop.
 */
public final class XdsClientAgent {
    private static final System.Logger LOG = System.getLogger(XdsClientAgent.class.getName());
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private final String cluster;
    private final KeyAlgorithm keyAlgorithm;
    private final Duration lifetime;
    private final CsrClient client;
    private final TokenSource tokens;
    private final XdsClientStore store;
    private final Clock clock;
    private final Backoff backoff;
    private final List<X509Certificate> bootstrapRoots;
    private final SecureRandom secureRandom = new SecureRandom();

    private Pending pending;

    private record Pending(KeyPair keys, String csr, String requestId) {
        @Override
        public String toString() {
            return "Pending[requestId=" + requestId + "]";
        }
    }

    /**
     * @param settings the cluster, key algorithm and backoff (its {@code lifetime} is the intermediate's and is not
     *     used here)
     * @param lifetime requested lifetime; null lets the PKI decide (its xDS client maximum)
     */
    public XdsClientAgent(AgentSettings settings, Duration lifetime, CsrClient client, TokenSource tokens,
            XdsClientStore store, Clock clock, Random jitter, List<X509Certificate> bootstrapRoots) {
        this.cluster = settings.cluster();
        this.keyAlgorithm = settings.keyAlgorithm();
        this.lifetime = lifetime;
        this.client = client;
        this.tokens = tokens;
        this.store = store;
        this.clock = clock;
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), jitter);
        this.bootstrapRoots = List.copyOf(bootstrapRoots);
    }

    /** Runs one step; returns when the next should run. Never throws for remote or storage failures. */
    public Instant reconcile() {
        Instant now = clock.instant();
        String readVersion;
        Optional<Installed> installed;
        try {
            Optional<XdsClientStore.Versioned> stored = store.readVersioned();
            readVersion = stored.map(XdsClientStore.Versioned::version).orElse(null);
            installed = stored.flatMap(XdsClientStore.Versioned::material).flatMap(this::validateInstalled);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot read the xDS client material: {0}", e.getMessage());
            return backoff.next(now);
        }
        if (installed.isPresent() && pending == null && now.isBefore(installed.get().renewAt())) {
            return installed.get().renewAt();
        }
        if (pending == null) {
            pending = newPending();
        }
        SigningOutcome outcome;
        try {
            outcome = client.submit(new CsrSubmitted(cluster, pending.csr(), pending.requestId(),
                    lifetime == null ? null : lifetime.toSeconds(), tokens.currentToken(),
                    CsrPurpose.XDS_CLIENT.wireName()));
        } catch (ManagementPlaneUnavailableException | TokenUnavailableException e) {
            LOG.log(Level.INFO, "cannot ask the management plane for the xDS client certificate ({0}); retrying",
                    e.getMessage());
            return backoff.next(now);
        }
        if (outcome instanceof SigningOutcome.Rejected rejected) {
            LOG.log(Level.WARNING, "xDS client CSR {0} was rejected: {1}", pending.requestId(),
                    rejected.data().reasons());
            return backoff.next(now);
        }
        CsrSigned signed = ((SigningOutcome.Signed) outcome).data();
        X509Certificate leaf;
        try {
            List<X509Certificate> chain = Pems.certificates(signed.certChain(), "certificate chain");
            List<X509Certificate> bundle = Pems.certificates(signed.trustBundle(), "trust bundle");
            leaf = chain.get(0);
            if (!leaf.getPublicKey().equals(pending.keys().getPublic())) {
                throw new IllegalStateException("the signed certificate is not for this agent's key");
            }
            requireClientLeafOfThisCluster(leaf);
            List<X509Certificate> trusted = new ArrayList<>(installed.map(Installed::roots).orElse(List.of()));
            trusted.addAll(bootstrapRoots);
            CsrAgent.verifyChain(chain, bundle, trusted);
        } catch (RuntimeException | java.security.GeneralSecurityException e) {
            LOG.log(Level.WARNING, "signed xDS client certificate for {0} failed verification; nothing written: {1}",
                    pending.requestId(), e.getMessage());
            pending = null;
            return backoff.next(now);
        }
        try {
            store.write(new XdsClientCertificate(signed.certChain(),
                    Pems.encodePrivateKey(pending.keys().getPrivate()), signed.trustBundle()), readVersion);
        } catch (ConcurrentChangeException e) {
            LOG.log(Level.WARNING, "the xDS client material changed while request {0} was being signed; not"
                    + " overwriting it: {1}", pending.requestId(), e.getMessage());
            pending = null;
            return now;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "writing the xDS client material failed, will retry: {0}", e.getMessage());
            return backoff.next(now);
        }
        LOG.log(Level.INFO, "installed xDS client certificate serial {0} (request {1}), valid until {2}",
                signed.serial(), pending.requestId(), signed.notAfter());
        pending = null;
        backoff.reset();
        return CsrAgent.renewAt(leaf);
    }

    /** Consecutive failures so far (0 after a success). */
    public int failures() {
        return backoff.failures();
    }

    private record Installed(List<X509Certificate> roots, Instant renewAt) {
    }

    private Optional<Installed> validateInstalled(XdsClientCertificate material) {
        try {
            List<X509Certificate> chain = Pems.certificates(material.certificateChain(), "tls.crt");
            List<X509Certificate> roots = Pems.certificates(material.trustBundle(), "ca.crt");
            PrivateKey key = Pems.privateKey(material.key(), "tls.key");
            X509Certificate leaf = chain.get(0);
            CsrAgent.requireKeyOf(leaf, key, "tls.key does not match tls.crt");
            requireClientLeafOfThisCluster(leaf);
            leaf.checkValidity(java.util.Date.from(clock.instant()));
            CsrAgent.verifyChain(chain, roots, List.of());
            return Optional.of(new Installed(roots, CsrAgent.renewAt(leaf)));
        } catch (RuntimeException | java.security.GeneralSecurityException e) {
            LOG.log(Level.WARNING, "the installed xDS client material is not usable ({0}); replacing it",
                    e.getMessage());
            return Optional.empty();
        }
    }

    /** A leaf for TLS clients whose one name is a DNS name of this cluster: what the bridge will accept. */
    private void requireClientLeafOfThisCluster(X509Certificate leaf) throws CertificateParsingException {
        if (leaf.getBasicConstraints() >= 0) {
            throw new IllegalStateException("the xDS client certificate is a CA certificate");
        }
        List<String> usages = leaf.getExtendedKeyUsage();
        if (usages == null || !usages.contains(CLIENT_AUTH)) {
            throw new IllegalStateException("the xDS client certificate is not for TLS clients (no clientAuth)");
        }
        var names = leaf.getSubjectAlternativeNames();
        if (names == null || names.size() != 1) {
            throw new IllegalStateException("the xDS client certificate must carry exactly one name, it has "
                    + (names == null ? 0 : names.size()));
        }
        List<?> name = names.iterator().next();
        if (!Integer.valueOf(2).equals(name.get(0)) || !String.valueOf(name.get(1)).startsWith(cluster + ".")) {
            throw new IllegalStateException("the xDS client certificate names " + name.get(1) + ", not a DNS name of"
                    + " cluster " + cluster);
        }
    }

    private Pending newPending() {
        KeyPair keys = keyAlgorithm.generate(secureRandom);
        return new Pending(keys, csr(keys), cluster + "-xds-" + UUID.randomUUID());
    }

    private String csr(KeyPair keys) {
        try {
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "meshfed")
                            .addRDN(BCStyle.CN, "xds relay " + cluster).build(), keys.getPublic());
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            extensions.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            return Pems.encode(builder.build(new JcaContentSignerBuilder(
                    KeyAlgorithm.signatureAlgorithmFor(keys.getPublic())).build(keys.getPrivate())));
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("building the xDS client CSR failed", e);
        }
    }
}
