package io.meshfed.registration;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.funqy.FunqyEvents;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import jakarta.inject.Inject;

/**
 * The registration function on Funqy: one shim per handled type (mappings in application.properties), each handing
 * the event to {@link RegistrationAdapter}, the adapter local mode calls too. Refusals become HTTP answers in
 * {@code io.meshfed.funqy.EventFailureRoute}.
 */
public class RegistrationFunctions {
    @Inject
    RegistrationAdapter adapter;

    @Funq("register")
    public CloudEvent<JsonNode> register(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("deregister")
    public CloudEvent<JsonNode> deregister(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }
}
