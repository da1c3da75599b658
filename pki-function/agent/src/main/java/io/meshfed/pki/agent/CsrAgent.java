package io.meshfed.pki.agent;

import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.store.ConcurrentChangeException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * One cluster's CSR agent, without any framework: each {@link #reconcile()} looks at the installed CA material
 * and does at most one exchange with the PKI function, then says when to run again.
 *
 * <ul>
 *   <li>Nothing valid installed, or past 2/3 of the intermediate's lifetime, or the intermediate does not chain
 *       to the active (first) root of the latest trust bundle: make a new key and CSR and get it signed.</li>
 *   <li>Otherwise, every {@code refreshInterval}: replay the installed request (same id, same CSR, so the
 *       function signs nothing) and install the current trust bundle if it changed.</li>
 *   <li>The reply is verified before anything is written: the certificate is for our key, is a CA, and its
 *       chain validates (with name constraints) against the reply's trust bundle, which must share a root with
 *       what this cluster already trusts. The write replaces all four files at once.</li>
 *   <li>Every request carries the agent's current service-account token ({@link TokenSource}), read afresh each
 *       time: the PKI function authenticates the agent with it before looking at anything else.</li>
 *   <li>A management plane that is down, a token that cannot be read, or a rejection, leaves the installed material alone and retries
 *       with exponential backoff and jitter; a pending key and request id are kept across retries, so a
 *       request that was signed but whose reply was lost is collected by replay.</li>
 * </ul>
 * Not thread-safe: one reconcile loop per agent.
 */
public final class CsrAgent {
    private static final System.Logger LOG = System.getLogger(CsrAgent.class.getName());

    private final AgentSettings settings;
    private final CsrClient client;
    private final TokenSource tokens;
    private final CaCertsStore store;
    private final Clock clock;
    private final SecureRandom secureRandom = new SecureRandom();
    private final Backoff backoff;
    private final List<X509Certificate> bootstrapRoots;
    private final AgentRecorder recorder;

    private Pending pending;
    /** The version of {@code cacerts} the current step read; its writes compare-and-set on it. */
    private String readVersion;
    private Instant lastRefresh = Instant.MIN;

    private record Pending(KeyPair keys, String csr, String requestId) {
        @Override
        public String toString() {
            return "Pending[requestId=" + requestId + "]";
        }
    }

    /**
     * @param tokens the agent's service-account token, asked for before every request
     * @param bootstrapRoots roots this cluster trusts before its first certificate (may be empty)
     */
    public CsrAgent(AgentSettings settings, CsrClient client, TokenSource tokens, CaCertsStore store, Clock clock,
            Random jitter, List<X509Certificate> bootstrapRoots) {
        this(settings, client, tokens, store, clock, jitter, bootstrapRoots, AgentRecorder.NONE);
    }

    /** @param recorder told of every request's outcome, every write, and what is installed after each step */
    public CsrAgent(AgentSettings settings, CsrClient client, TokenSource tokens, CaCertsStore store, Clock clock,
            Random jitter, List<X509Certificate> bootstrapRoots, AgentRecorder recorder) {
        this.recorder = recorder;
        this.settings = settings;
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
        Optional<Installed> installed;
        try {
            Optional<CaCertsStore.Versioned> stored = store.readVersioned();
            readVersion = stored.map(CaCertsStore.Versioned::version).orElse(null);
            installed = stored.flatMap(CaCertsStore.Versioned::caCerts).flatMap(this::validateInstalled);
            installed.ifPresentOrElse(i -> recorder.installed(i.chain(), i.roots()), recorder::nothingValidInstalled);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot read the installed CA material: {0}", e.getMessage());
            return backoff(now);
        }
        if (installed.isPresent() && pending == null && now.isBefore(installed.get().renewAt())) {
            Installed current = installed.get();
            if (now.isBefore(lastRefresh.plus(settings.refreshInterval()))) {
                return earliest(current.renewAt(), lastRefresh.plus(settings.refreshInterval()));
            }
            Optional<Instant> refreshed = refresh(current, now);
            if (refreshed.isPresent()) {
                return refreshed.get();
            }
            // The installed intermediate does not chain to the active root: reissue now.
        }
        return renew(now, installed.map(Installed::roots).orElse(List.of()));
    }

    private Optional<Instant> refresh(Installed current, Instant now) {
        if (current.caCerts().requestId() == null || current.caCerts().csr() == null) {
            lastRefresh = now;
            return Optional.of(earliest(current.renewAt(), now.plus(settings.refreshInterval())));
        }
        SigningOutcome outcome;
        try {
            outcome = submit(current.caCerts().csr(), current.caCerts().requestId());
        } catch (ManagementPlaneUnavailableException | TokenUnavailableException e) {
            recorder.request(AgentRecorder.Outcome.UNAVAILABLE);
            LOG.log(Level.INFO, "trust bundle refresh failed, keeping the installed material: {0}", e.getMessage());
            return Optional.of(earliest(current.renewAt(), backoff(now)));
        }
        if (outcome instanceof SigningOutcome.Rejected rejected) {
            recorder.request(AgentRecorder.Outcome.REJECTED);
            LOG.log(Level.WARNING, "refresh of request {0} was rejected: {1}", current.caCerts().requestId(),
                    rejected.data().reasons());
            return Optional.of(earliest(current.renewAt(), backoff(now)));
        }
        CsrSigned signed = ((SigningOutcome.Signed) outcome).data();
        List<X509Certificate> bundle;
        try {
            bundle = Pems.certificates(signed.trustBundle(), "trust bundle");
            verifyChain(current.chain(), bundle, current.roots());
        } catch (RuntimeException | java.security.GeneralSecurityException e) {
            recorder.request(AgentRecorder.Outcome.INVALID_REPLY);
            LOG.log(Level.WARNING, "refresh reply failed verification, ignoring it: {0}", e.getMessage());
            return Optional.of(earliest(current.renewAt(), backoff(now)));
        }
        recorder.request(AgentRecorder.Outcome.REFRESHED);
        backoff.reset();
        lastRefresh = now;
        X509Certificate activeRoot = bundle.get(0);
        if (!current.chain().get(current.chain().size() - 1).equals(activeRoot)) {
            LOG.log(Level.INFO, "the active root changed to {0}; reissuing the intermediate",
                    activeRoot.getSubjectX500Principal());
            return Optional.empty();
        }
        if (!signed.trustBundle().equals(current.caCerts().rootCert())) {
            try {
                store.write(current.caCerts().withRootCert(signed.trustBundle()), readVersion);
            } catch (ConcurrentChangeException e) {
                LOG.log(Level.INFO, "cacerts changed while refreshing its trust bundle; re-reading: {0}",
                        e.getMessage());
                return Optional.of(now);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "writing the new trust bundle failed: {0}", e.getMessage());
                return Optional.of(backoff(now));
            }
            recorder.cacertsWritten();
            recorder.installed(current.chain(), bundle);
            LOG.log(Level.INFO, "installed a trust bundle of {0} root(s)", bundle.size());
        }
        return Optional.of(earliest(current.renewAt(), now.plus(settings.refreshInterval())));
    }

    /** One exchange, carrying the token as it is now (kubelet rotates it). */
    private SigningOutcome submit(String csr, String requestId) {
        return client.submit(new CsrSubmitted(settings.cluster(), csr, requestId, lifetimeSeconds(),
                tokens.currentToken()));
    }

    private Instant renew(Instant now, List<X509Certificate> trustedNow) {
        if (pending == null) {
            pending = newPending();
        }
        SigningOutcome outcome;
        try {
            outcome = submit(pending.csr(), pending.requestId());
        } catch (ManagementPlaneUnavailableException | TokenUnavailableException e) {
            recorder.request(AgentRecorder.Outcome.UNAVAILABLE);
            LOG.log(Level.INFO, "cannot ask the management plane ({0}); retrying", e.getMessage());
            return backoff(now);
        }
        if (outcome instanceof SigningOutcome.Rejected rejected) {
            recorder.request(AgentRecorder.Outcome.REJECTED);
            LOG.log(Level.WARNING, "CSR {0} was rejected: {1}", pending.requestId(), rejected.data().reasons());
            return backoff(now);
        }
        CsrSigned signed = ((SigningOutcome.Signed) outcome).data();
        List<X509Certificate> chain;
        List<X509Certificate> bundle;
        try {
            chain = Pems.certificates(signed.certChain(), "certificate chain");
            bundle = Pems.certificates(signed.trustBundle(), "trust bundle");
            if (!chain.get(0).getPublicKey().equals(pending.keys().getPublic())) {
                throw new IllegalStateException("the signed certificate is not for this agent's key");
            }
            if (chain.get(0).getBasicConstraints() < 0) {
                throw new IllegalStateException("the signed certificate is not a CA certificate");
            }
            List<X509Certificate> anchors = new ArrayList<>(trustedNow);
            anchors.addAll(bootstrapRoots);
            verifyChain(chain, bundle, anchors);
        } catch (RuntimeException | java.security.GeneralSecurityException e) {
            recorder.request(AgentRecorder.Outcome.INVALID_REPLY);
            LOG.log(Level.WARNING, "signed reply for {0} failed verification; nothing written: {1}",
                    pending.requestId(), e.getMessage());
            pending = null;
            return backoff(now);
        }
        recorder.request(AgentRecorder.Outcome.SIGNED);
        CaCerts caCerts = new CaCerts(Pems.encode(chain.get(0)), Pems.encodePrivateKey(pending.keys().getPrivate()),
                signed.certChain(), signed.trustBundle(), pending.requestId(), pending.csr());
        try {
            store.write(caCerts, readVersion);
        } catch (ConcurrentChangeException e) {
            // Someone else installed material since this step read it: re-read and judge theirs, rather than
            // overwrite what this agent never saw.
            LOG.log(Level.WARNING, "cacerts changed while request {0} was being signed; not overwriting it: {1}",
                    pending.requestId(), e.getMessage());
            pending = null;
            return now;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "writing cacerts failed, will retry: {0}", e.getMessage());
            return backoff(now);
        }
        recorder.cacertsWritten();
        recorder.installed(chain, bundle);
        LOG.log(Level.INFO, "installed intermediate serial {0} (request {1}), valid until {2}", signed.serial(),
                pending.requestId(), signed.notAfter());
        pending = null;
        backoff.reset();
        lastRefresh = now;
        return earliest(renewAt(chain.get(0)), now.plus(settings.refreshInterval()));
    }

    /**
     * The chain (leaf first, maybe ending with a root) must validate against {@code bundle}; and when this
     * cluster already trusts some roots, the new bundle must keep at least one of them (continuity).
     */
    static void verifyChain(List<X509Certificate> chain, List<X509Certificate> bundle,
            List<X509Certificate> alreadyTrusted) throws java.security.GeneralSecurityException {
        if (!alreadyTrusted.isEmpty()) {
            Set<String> known = new HashSet<>();
            alreadyTrusted.forEach(c -> known.add(Certificates.fingerprint(c)));
            if (bundle.stream().map(Certificates::fingerprint).noneMatch(known::contains)) {
                throw new java.security.GeneralSecurityException(
                        "the new trust bundle shares no root with the roots this cluster trusts");
            }
        }
        Set<TrustAnchor> anchors = new HashSet<>();
        bundle.forEach(root -> anchors.add(new TrustAnchor(root, null)));
        List<X509Certificate> path = chain.stream().filter(c -> !Certificates.isSelfSigned(c)).toList();
        PKIXParameters parameters = new PKIXParameters(anchors);
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(path), parameters);
    }

    private record Installed(CaCerts caCerts, List<X509Certificate> chain, List<X509Certificate> roots,
            Instant renewAt) {
    }

    private Optional<Installed> validateInstalled(CaCerts caCerts) {
        try {
            List<X509Certificate> chain = Pems.certificates(caCerts.certChain(), "cert-chain.pem");
            X509Certificate caCert = Pems.certificates(caCerts.caCert(), "ca-cert.pem").get(0);
            List<X509Certificate> roots = Pems.certificates(caCerts.rootCert(), "root-cert.pem");
            PrivateKey key = Pems.privateKey(caCerts.caKey(), "ca-key.pem");
            if (!chain.get(0).equals(caCert)) {
                throw new IllegalStateException("cert-chain.pem does not start with ca-cert.pem");
            }
            requireKeyOf(caCert, key, "ca-key.pem does not match ca-cert.pem");
            caCert.checkValidity(java.util.Date.from(clock.instant()));
            verifyChain(chain, roots, List.of());
            return Optional.of(new Installed(caCerts, chain, roots, renewAt(caCert)));
        } catch (RuntimeException | java.security.GeneralSecurityException e) {
            LOG.log(Level.WARNING, "installed CA material is not usable ({0}); replacing it", e.getMessage());
            return Optional.empty();
        }
    }

    /** Fails with {@code problem} unless {@code key} is the private key of {@code certificate}. */
    static void requireKeyOf(X509Certificate certificate, PrivateKey key, String problem)
            throws java.security.GeneralSecurityException {
        java.security.Signature probe = java.security.Signature.getInstance(
                KeyAlgorithm.signatureAlgorithmFor(certificate.getPublicKey()));
        probe.initSign(key);
        probe.update(new byte[] {1});
        byte[] signature = probe.sign();
        probe.initVerify(certificate.getPublicKey());
        probe.update(new byte[] {1});
        if (!probe.verify(signature)) {
            throw new IllegalStateException(problem);
        }
    }

    /** Renewal is due at two thirds of the certificate's lifetime. */
    static Instant renewAt(X509Certificate certificate) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Duration lifetime = Duration.between(notBefore, certificate.getNotAfter().toInstant());
        return notBefore.plus(lifetime.multipliedBy(2).dividedBy(3));
    }

    private Pending newPending() {
        KeyPair keys = settings.keyAlgorithm().generate(secureRandom);
        return new Pending(keys, csr(keys), settings.cluster() + "-" + UUID.randomUUID());
    }

    private String csr(KeyPair keys) {
        String td = settings.trustDomain();
        try {
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, td)
                            .addRDN(BCStyle.CN, "istiod " + settings.cluster()).build(), keys.getPublic());
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            extensions.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "istiod.istio-system.svc"),
                new GeneralName(GeneralName.uniformResourceIdentifier,
                        "spiffe://" + td + "/ns/istio-system/sa/istiod-service-account")}));
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            return Pems.encode(builder.build(new JcaContentSignerBuilder(
                    KeyAlgorithm.signatureAlgorithmFor(keys.getPublic())).build(keys.getPrivate())));
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("building the CSR failed", e);
        }
    }

    private Long lifetimeSeconds() {
        return settings.lifetime() == null ? null : settings.lifetime().toSeconds();
    }

    private Instant backoff(Instant now) {
        return backoff.next(now);
    }

    private static Instant earliest(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** Consecutive failures so far (0 after a success). */
    public int failures() {
        return backoff.failures();
    }
}
