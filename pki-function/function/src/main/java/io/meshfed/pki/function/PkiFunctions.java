package io.meshfed.pki.function;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.signing.CsrRejected;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.Rejection;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.signing.SigningOutcome;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import io.quarkus.funqy.knative.events.CloudEventBuilder;
import jakarta.inject.Inject;
import java.util.List;

/**
 * {@code io.meshfed.csr.submitted} in; {@code io.meshfed.csr.signed} or {@code io.meshfed.csr.rejected} out.
 * A thin adapter: the decision is {@link CsrSigningService}'s. Reply ids are derived from the request event's
 * id, so a redelivered event gets an identical reply.
 */
public class PkiFunctions {
    static final String SOURCE = "meshfed/pki";

    @Inject
    CsrSigningService service;

    @Funq("signCsr")
    public CloudEvent<Object> signCsr(CloudEvent<JsonNode> event) {
        CsrSubmitted request;
        try {
            request = event.data() == null || event.data().isNull() ? null
                    : ModelJson.mapper().treeToValue(event.data(), CsrSubmitted.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            String problem = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage();
            return reply(event, EventTypes.CSR_REJECTED, null, new CsrRejected(null, null, List.of(Rejection.of(
                    RejectionReason.INVALID_REQUEST, "event data is not csr.submitted data: "
                            + clip(problem)))));
        }
        SigningOutcome outcome = service.handle(request, event.source());
        if (outcome instanceof SigningOutcome.Signed signed) {
            return reply(event, EventTypes.CSR_SIGNED, signed.data().cluster(), signed.data());
        }
        CsrRejected rejected = ((SigningOutcome.Rejected) outcome).data();
        return reply(event, EventTypes.CSR_REJECTED, rejected.cluster(), rejected);
    }

    private static CloudEvent<Object> reply(CloudEvent<?> request, String type, String subject, Object data) {
        CloudEventBuilder builder = CloudEventBuilder.create()
                .id(request.id() + "/" + type.substring(EventTypes.PREFIX.length()))
                .type(type)
                .source(SOURCE);
        if (subject != null && !subject.isEmpty()) {
            builder.subject(subject);
        }
        return builder.build(data);
    }

    private static String clip(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
}
