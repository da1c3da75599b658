package io.meshfed.export;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.funqy.FunqyEvents;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import jakarta.inject.Inject;

/**
 * The export function on Funqy: one shim per handled type (mappings in application.properties), each handing the
 * event to {@link ExportAdapter}, the adapter local mode calls too. A shim returns the reply or {@code null}; Funqy
 * answers {@code null} with {@code 204 No Content} and no {@code ce-*} headers, which Knative takes as "delivered,
 * nothing to reply": that is how an unchanged sync stays silent. Refusals become HTTP answers in
 * {@code io.meshfed.funqy.EventFailureRoute}.
 */
public class ExportFunctions {
    static final String SOURCE = ExportAdapter.SOURCE;

    @Inject
    ExportAdapter adapter;

    @Funq("sync")
    public CloudEvent<JsonNode> sync(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("apiServerAdd")
    public CloudEvent<JsonNode> apiServerAdd(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("apiServerUpdate")
    public CloudEvent<JsonNode> apiServerUpdate(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("apiServerDelete")
    public CloudEvent<JsonNode> apiServerDelete(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("registered")
    public CloudEvent<JsonNode> registered(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("deregistered")
    public CloudEvent<JsonNode> deregistered(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }
}
