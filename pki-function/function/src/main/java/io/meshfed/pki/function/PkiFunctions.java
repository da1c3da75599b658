package io.meshfed.pki.function;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.funqy.FunqyEvents;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import jakarta.inject.Inject;

/**
 * The PKI function on Funqy: {@code io.meshfed.csr.submitted} handed to {@link PkiAdapter}, the adapter local mode
 * calls too. Refusals become HTTP answers in {@code io.meshfed.funqy.EventFailureRoute}.
 */
public class PkiFunctions {
    static final String SOURCE = PkiAdapter.SOURCE;

    @Inject
    PkiAdapter adapter;

    @Funq("signCsr")
    public CloudEvent<JsonNode> signCsr(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }
}
