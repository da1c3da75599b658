package io.meshfed.pki.function;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventData;
import io.meshfed.model.EventFailure;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import io.meshfed.pki.signing.CsrPurpose;
import io.meshfed.pki.signing.CsrRejected;
import io.meshfed.pki.signing.CsrSigned;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.Rejection;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.CaStatus;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The PKI function's one CloudEvents adapter over {@link CsrSigningService}, for every host: the Funqy function
 * ({@link PkiFunctions}) and local mode's broker call {@link #handle}. {@code io.meshfed.csr.submitted} in;
 * {@code io.meshfed.csr.signed} or {@code io.meshfed.csr.rejected} out, also for data that is not
 * {@code csr.submitted} data ({@code INVALID_REQUEST}): the agent always gets a typed answer. The decision, who is
 * asking first, is the service's. Reply ids derive from the request's id, so a redelivered event gets an
 * identical reply.
 *
 * <p>Thread-safety: as {@link CsrSigningService}; the adapter holds no state.
 */
public final class PkiAdapter {
    public static final String SOURCE = "meshfed/pki";

    private static final Logger LOG = Logger.getLogger(PkiAdapter.class.getName());

    private final CsrSigningService service;
    private final Consumer<String> progress;
    private final ClusterStatusWriter status;

    /** @param progress told one line per new signature or rejection (the Funqy app logs it, local mode prints it) */
    public PkiAdapter(CsrSigningService service, Consumer<String> progress) {
        this(service, progress, ClusterStatusWriter.NONE);
    }

    /**
     * @param status where a signed intermediate CA is reported ({@link ClusterStatusWriter#CA_ISSUED}, its expiry and
     *     serial). Only signatures are: a rejection may answer someone who is not the cluster's agent, and the
     *     cluster's CA is what it was
     */
    public PkiAdapter(CsrSigningService service, Consumer<String> progress, ClusterStatusWriter status) {
        this.service = service;
        this.progress = progress;
        this.status = Objects.requireNonNull(status);
    }

    /**
     * The reply to {@code event}: always present.
     *
     * @throws BadEventException for an event of another type
     * @throws EventFailure {@link EventFailure.Kind#UNAVAILABLE} when the claimed cluster's API server cannot review
     *     the caller's token now (retried; not a verdict on the caller)
     */
    public Optional<CloudEvent> handle(CloudEvent event) {
        if (!EventTypes.CSR_SUBMITTED.equals(event.getType())) {
            throw new BadEventException("type", "meshfed-pki does not handle " + event.getType());
        }
        CsrSubmitted request;
        try {
            request = read(event);
        } catch (BadEventException e) {
            SigningOutcome.Rejected refused = service.refuseUnreadable(event.getSource().toString(),
                    Rejection.of(RejectionReason.INVALID_REQUEST, "event data is not csr.submitted data: "
                            + clip(e.getMessage())));
            return Optional.of(EventData.reply(event, EventTypes.CSR_REJECTED, SOURCE, null, refused.data(),
                    Map.of()));
        }
        SigningOutcome outcome;
        try {
            outcome = service.handle(request, event.getSource().toString());
        } catch (AuthenticationUnavailableException e) {
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "token", e.getMessage(), e);
        }
        if (outcome instanceof SigningOutcome.Signed signed) {
            if (CsrPurpose.parse(request.purpose()).orElse(null) == CsrPurpose.INTERMEDIATE_CA) {
                reportIssued(signed.data());
            }
            if (!signed.replayed()) {
                progress.accept("signed the intermediate CA of " + signed.data().cluster() + " (serial "
                        + signed.data().serial() + ")");
            }
            return Optional.of(EventData.reply(event, EventTypes.CSR_SIGNED, SOURCE, signed.data().cluster(),
                    signed.data(), Map.of()));
        }
        CsrRejected rejected = ((SigningOutcome.Rejected) outcome).data();
        progress.accept("CSR of " + rejected.cluster() + " REJECTED: " + rejected.reasons());
        return Optional.of(EventData.reply(event, EventTypes.CSR_REJECTED, SOURCE, rejected.cluster(), rejected,
                Map.of()));
    }

    /** Status is a report: a failed write is logged, and the agent gets its chain all the same. */
    private void reportIssued(CsrSigned signed) {
        try {
            status.report(signed.cluster(), new Report(List.of(new Condition(ClusterStatusWriter.CA_ISSUED,
                    ConditionStatus.TRUE, "Signed", "intermediate CA serial " + signed.serial() + ", valid until "
                            + signed.notAfter())), List.of(), Optional.empty(),
                    Optional.of(new CaStatus(Instant.parse(signed.notAfter()), signed.serial()))));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cluster {0}: CA signed, but its status was not written: {1}",
                    new Object[] {signed.cluster(), e.toString()});
        }
    }

    /** Strict, as every function reads: unknown fields and wrong types are refused naming the field. */
    private static CsrSubmitted read(CloudEvent event) {
        JsonNode data = EventData.tree(event);
        if (data == null || data.isNull()) {
            return null;
        }
        try {
            return ModelJson.mapper().treeToValue(data, CsrSubmitted.class);
        } catch (JsonMappingException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : "[" + r.getIndex() + "]").collect(Collectors.joining("."));
            throw new BadEventException(path.isEmpty() ? "data" : "data." + path, e.getOriginalMessage(), e);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new BadEventException("data", e.getMessage(), e);
        }
    }

    private static String clip(String text) {
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
}
