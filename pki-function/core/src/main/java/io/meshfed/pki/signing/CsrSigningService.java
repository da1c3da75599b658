package io.meshfed.pki.signing;

import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.Certificates;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Handles {@code csr.submitted}: runs every {@link CsrChecks check}, then either returns the certificate
 * already issued for this request id (a replay: no second signature) or signs a new intermediate, and records
 * the outcome in the {@link AuditStore} before answering.
 *
 * <p>Thread-safe. Requests with the same id are serialized (lock striping) so that concurrent duplicates in
 * one process sign once; across processes the audit store's first-writer-wins resolves the race, and the
 * loser's certificate is discarded unseen. Failures of the stores propagate as exceptions (the caller answers
 * with a retryable error); they are never turned into rejections.
 */
public final class CsrSigningService {
    private static final System.Logger LOG = System.getLogger(CsrSigningService.class.getName());
    private static final int STRIPES = 64;

    private final CsrChecks checks;
    private final IntermediateSigner signer;
    private final Supplier<CaState> caState;
    private final AuditStore audit;
    private final Clock clock;
    private final Object[] locks = new Object[STRIPES];
    private volatile Object[] bundleCache = {null, null};

    public CsrSigningService(CsrChecks checks, IntermediateSigner signer, Supplier<CaState> caState, AuditStore audit,
            Clock clock) {
        this.checks = checks;
        this.signer = signer;
        this.caState = caState;
        this.audit = audit;
        this.clock = clock;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /**
     * @param requester who sent the request (the CloudEvent source), for the audit record
     */
    public SigningOutcome handle(CsrSubmitted request, String requester) {
        CsrChecks.Verdict verdict = checks.check(request);
        if (verdict.rejection().isPresent()) {
            return reject(request, requester, verdict.rejection().get(),
                    request == null || request.csr() == null ? null : digestOfText(request.csr()));
        }
        CsrChecks.Accepted accepted = verdict.accepted().orElseThrow();
        synchronized (locks[Math.floorMod(request.requestId().hashCode(), STRIPES)]) {
            Optional<AuditRecord> earlier = audit.findIssued(request.requestId());
            if (earlier.isPresent()) {
                return replay(request, requester, accepted, earlier.get());
            }
            CaState state = caState.get();
            CertificateAuthority authority = state.signer();
            Instant now = clock.instant();
            IntermediateSigner.Issued issued = signer.sign(accepted, authority, now);
            String chainPem = pem(issued.encoded()) + authority.chainPem();
            AuditRecord record = new AuditRecord(now.toString(), AuditRecord.Outcome.ISSUED, request.requestId(),
                    request.cluster(), requester, accepted.csrSha256(), issued.serial().toString(16),
                    issued.notBefore().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    issued.notAfter().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(),
                    authority.fingerprint(), chainPem, null);
            AuditRecord stored = audit.recordIssued(record);
            if (stored != record && !stored.serial().equals(record.serial())) {
                LOG.log(Level.INFO, "request {0} was issued concurrently elsewhere; returning serial {1}",
                        request.requestId(), stored.serial());
                return replay(request, requester, accepted, stored);
            }
            LOG.log(Level.INFO, "issued intermediate for cluster {0} (request {1}, serial {2}, notAfter {3})",
                    request.cluster(), request.requestId(), record.serial(), record.notAfter());
            return new SigningOutcome.Signed(signed(record, state), false);
        }
    }

    private SigningOutcome replay(CsrSubmitted request, String requester, CsrChecks.Accepted accepted,
            AuditRecord earlier) {
        if (!earlier.cluster().equals(request.cluster()) || !earlier.csrSha256().equals(accepted.csrSha256())) {
            return reject(request, requester, Rejection.of(RejectionReason.REQUEST_ID_REUSED, "requestId '"
                    + request.requestId() + "' was already used for a different CSR or cluster"),
                    accepted.csrSha256());
        }
        LOG.log(Level.DEBUG, "replayed request {0}: returning serial {1}", request.requestId(), earlier.serial());
        // The certificate is the one issued before; the trust bundle is today's, so a replay also tells an
        // agent about a root rotation.
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

    private SigningOutcome reject(CsrSubmitted request, String requester, Rejection rejection, String csrDigest) {
        String requestId = request == null ? null : CsrChecks.clip(request.requestId());
        String cluster = request == null ? null : CsrChecks.clip(request.cluster());
        audit.recordRejected(new AuditRecord(clock.instant().toString(), AuditRecord.Outcome.REJECTED, requestId,
                cluster, CsrChecks.clip(requester), csrDigest, null, null, null, null, null, List.of(rejection)));
        LOG.log(Level.INFO, "rejected CSR from cluster {0} (request {1}): {2} {3}", cluster, requestId,
                rejection.reason(), rejection.message());
        return new SigningOutcome.Rejected(new CsrRejected(requestId, cluster, List.of(rejection)));
    }

    private static String digestOfText(String text) {
        return Certificates.sha256(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
