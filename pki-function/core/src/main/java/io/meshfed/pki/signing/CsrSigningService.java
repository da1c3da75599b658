package io.meshfed.pki.signing;

import io.meshfed.model.MeshCluster;
import io.meshfed.model.Rules;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.Certificates;
import io.meshfed.store.ClusterStore;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Handles {@code csr.submitted}: first establishes who is asking (the request's token, checked by the
 * {@link CallerAuthenticator} against the registered cluster the request names), then runs every
 * {@link CsrChecks check} on what is asked, then either returns the certificate already issued for this request id
 * (a replay: no second signature) or signs a new intermediate, and records the outcome in the {@link AuditStore}
 * before answering.
 *
 * <p>Rejections decided before the caller is authenticated are logged and counted ({@link SigningMetrics}) but not
 * written to the audit store: anyone can cause them. Rejections of authenticated callers are audited, and the store
 * keeps a bounded number per cluster.
 *
 * <p>Thread-safe. Requests with the same id are serialized (lock striping) so that concurrent duplicates in
 * one process sign once; across processes the audit store's first-writer-wins resolves the race, and the
 * loser's certificate is discarded unseen. Failures of the stores and of authentication
 * ({@link AuthenticationUnavailableException}) propagate as exceptions (the caller answers with a retryable
 * error); they are never turned into rejections.
 */
public final class CsrSigningService {
    private static final System.Logger LOG = System.getLogger(CsrSigningService.class.getName());
    private static final int STRIPES = 64;
    /** Far above a projected service-account token (about 1 KiB); longer ones are not sent to any API server. */
    static final int MAX_TOKEN_CHARS = 16 * 1024;

    private final CallerAuthenticator authenticator;
    private final ClusterStore clusters;
    private final CsrChecks checks;
    private final IntermediateSigner signer;
    private final Supplier<CaState> caState;
    private final AuditStore audit;
    private final Clock clock;
    private final SigningMetrics metrics = new SigningMetrics();
    private final SigningRecorder recorder;
    private final Object[] locks = new Object[STRIPES];
    private volatile Object[] bundleCache = {null, null};

    public CsrSigningService(CallerAuthenticator authenticator, ClusterStore clusters, CsrChecks checks,
            IntermediateSigner signer, Supplier<CaState> caState, AuditStore audit, Clock clock) {
        this(authenticator, clusters, checks, signer, caState, audit, clock, SigningRecorder.NONE);
    }

    /** @param recorder told of every certificate answered and every refusal, as {@link #metrics()} counts them */
    public CsrSigningService(CallerAuthenticator authenticator, ClusterStore clusters, CsrChecks checks,
            IntermediateSigner signer, Supplier<CaState> caState, AuditStore audit, Clock clock,
            SigningRecorder recorder) {
        this.recorder = recorder;
        this.authenticator = authenticator;
        this.clusters = clusters;
        this.checks = checks;
        this.signer = signer;
        this.caState = caState;
        this.audit = audit;
        this.clock = clock;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    public SigningMetrics metrics() {
        return metrics;
    }

    /**
     * @param source the CloudEvent source, as the sender wrote it: logged with refusals, never trusted
     * @throws AuthenticationUnavailableException when the caller's token cannot be checked now (retryable)
     */
    public SigningOutcome handle(CsrSubmitted request, String source) {
        Optional<Rejection> malformed = unauthenticatable(request);
        if (malformed.isPresent()) {
            return refuse(request, source, malformed.get());
        }
        Optional<ClusterStore.StoredCluster> registration = clusters.get(request.cluster());
        if (registration.isEmpty()) {
            return refuse(request, source, Rejection.of(RejectionReason.CLUSTER_NOT_REGISTERED,
                    "cluster '" + request.cluster() + "' is not registered"));
        }
        MeshCluster cluster = registration.get().cluster();
        CallerAuthenticator.Authentication authentication;
        try {
            authentication = authenticator.authenticate(cluster, request.token());
        } catch (AuthenticationUnavailableException e) {
            metrics.countAuthenticationUnavailable();
            LOG.log(Level.WARNING, "cannot authenticate the CSR agent of cluster {0} now (request {1}): {2}",
                    request.cluster(), CsrChecks.clip(request.requestId()), e.getMessage());
            throw e;
        }
        if (authentication instanceof CallerAuthenticator.Refused refused) {
            return refuse(request, source, refused.rejection());
        }
        String caller = ((CallerAuthenticator.Authenticated) authentication).identity();

        CsrChecks.Verdict verdict = checks.check(request, cluster);
        if (verdict.rejection().isPresent()) {
            return reject(request, caller, verdict.rejection().get(),
                    request.csr() == null ? null : digestOfText(request.csr()));
        }
        CsrChecks.Accepted accepted = verdict.accepted().orElseThrow();
        synchronized (locks[Math.floorMod(request.requestId().hashCode(), STRIPES)]) {
            Optional<AuditRecord> earlier = audit.findIssued(request.requestId());
            if (earlier.isPresent()) {
                return replay(request, caller, accepted, earlier.get());
            }
            CaState state = caState.get();
            CertificateAuthority authority = state.signer();
            Instant now = clock.instant();
            IntermediateSigner.Issued issued = signer.sign(accepted, authority, now);
            String chainPem = pem(issued.encoded()) + authority.chainPem();
            AuditRecord record = new AuditRecord(now.toString(), AuditRecord.Outcome.ISSUED, request.requestId(),
                    request.cluster(), caller, accepted.csrSha256(), issued.serial().toString(16),
                    issued.notBefore().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    issued.notAfter().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    authority.fingerprint(), chainPem, null);
            AuditRecord stored = audit.recordIssued(record);
            if (stored != record && !stored.serial().equals(record.serial())) {
                LOG.log(Level.INFO, "request {0} was issued concurrently elsewhere; returning serial {1}",
                        request.requestId(), stored.serial());
                return replay(request, caller, accepted, stored);
            }
            LOG.log(Level.INFO, "issued {0} for cluster {1} (request {2}, serial {3}, notAfter {4})",
                    accepted.purpose() == CsrPurpose.XDS_CLIENT ? "xDS client certificate" : "intermediate",
                    request.cluster(), request.requestId(), record.serial(), record.notAfter());
            metrics.countSigned(false);
            recorder.signed(request.cluster(), accepted.purpose(), Instant.parse(record.notAfter()), false);
            return new SigningOutcome.Signed(signed(record, state), false);
        }
    }

    /**
     * The steps before the authenticator can be asked: a token to check, and a cluster name to check it against.
     * Nothing else of the request is looked at yet.
     */
    private static Optional<Rejection> unauthenticatable(CsrSubmitted request) {
        if (request == null || request.token() == null || request.token().isBlank()) {
            return Optional.of(Rejection.of(RejectionReason.UNAUTHENTICATED, "no token: csr.submitted data must "
                    + "carry the CSR agent's projected service-account token in 'token'"));
        }
        if (request.token().length() > MAX_TOKEN_CHARS) {
            return Optional.of(Rejection.of(RejectionReason.UNAUTHENTICATED, "token is " + request.token().length()
                    + " characters; a service-account token has at most " + MAX_TOKEN_CHARS));
        }
        Optional<String> clusterProblem = Rules.dns1123Label(request.cluster());
        return clusterProblem.map(p -> Rejection.of(RejectionReason.INVALID_REQUEST, "cluster " + p));
    }

    private SigningOutcome replay(CsrSubmitted request, String caller, CsrChecks.Accepted accepted,
            AuditRecord earlier) {
        if (!earlier.cluster().equals(request.cluster()) || !earlier.csrSha256().equals(accepted.csrSha256())) {
            return reject(request, caller, Rejection.of(RejectionReason.REQUEST_ID_REUSED, "requestId '"
                    + request.requestId() + "' was already used for a different CSR or cluster"),
                    accepted.csrSha256());
        }
        LOG.log(Level.DEBUG, "replayed request {0}: returning serial {1}", request.requestId(), earlier.serial());
        // The certificate is the one issued before; the trust bundle is today's, so a replay also tells an
        // agent about a root rotation.
        metrics.countSigned(true);
        recorder.signed(earlier.cluster(), accepted.purpose(), Instant.parse(earlier.notAfter()), true);
        return new SigningOutcome.Signed(signed(earlier, caState.get()), true);
    }

    private CsrSigned signed(AuditRecord record, CaState state) {
        return new CsrSigned(record.requestId(), record.cluster(), record.certChain(), trustBundlePem(state),
                record.serial(), record.notBefore(), record.notAfter());
    }

    /** The bundle PEM of the last state seen; states are immutable, so identity is a safe cache key. */
    private String trustBundlePem(CaState state) {
        Object[] cached = bundleCache;
        if (cached[0] != state) {
            cached = new Object[] {state, state.trustBundlePem()};
            bundleCache = cached;
        }
        return (String) cached[1];
    }

    private static final java.util.Base64.Encoder PEM_BODY = java.util.Base64.getMimeEncoder(64, new byte[] {'\n'});

    private static String pem(byte[] certificate) {
        return "-----BEGIN CERTIFICATE-----\n" + PEM_BODY.encodeToString(certificate) + "\n-----END CERTIFICATE-----\n";
    }

    /** A rejection of an authenticated caller: audited (the store keeps a bounded number per cluster). */
    private SigningOutcome reject(CsrSubmitted request, String caller, Rejection rejection, String csrDigest) {
        String requestId = CsrChecks.clip(request.requestId());
        audit.recordRejected(new AuditRecord(clock.instant().toString(), AuditRecord.Outcome.REJECTED, requestId,
                request.cluster(), caller, csrDigest, null, null, null, null, null, List.of(rejection)));
        metrics.countRejected(rejection.reason());
        recorder.rejected(rejection.reason());
        LOG.log(Level.INFO, "rejected CSR of {0} for cluster {1} (request {2}): {3} {4}", caller, request.cluster(),
                requestId, rejection.reason(), rejection.message());
        return new SigningOutcome.Rejected(new CsrRejected(requestId, request.cluster(), List.of(rejection)));
    }

    /**
     * The answer to a request whose data could not even be read as {@code csr.submitted}: counted and logged as any
     * refusal before authentication.
     */
    public SigningOutcome.Rejected refuseUnreadable(String source, Rejection rejection) {
        return (SigningOutcome.Rejected) refuse(null, source, rejection);
    }

    /**
     * A rejection decided before the caller was authenticated: logged and counted, never written to the audit
     * store, whose size must not grow with what anyone can send.
     */
    private SigningOutcome refuse(CsrSubmitted request, String source, Rejection rejection) {
        String requestId = request == null ? null : CsrChecks.clip(request.requestId());
        String cluster = request == null ? null : CsrChecks.clip(request.cluster());
        metrics.countRejected(rejection.reason());
        recorder.rejected(rejection.reason());
        LOG.log(Level.INFO, "refused CSR claiming cluster {0} (request {1}, event source {2}): {3} {4}", cluster,
                requestId, CsrChecks.clip(source), rejection.reason(), rejection.message());
        return new SigningOutcome.Rejected(new CsrRejected(requestId, cluster, List.of(rejection)));
    }

    private static String digestOfText(String text) {
        return Certificates.sha256(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
