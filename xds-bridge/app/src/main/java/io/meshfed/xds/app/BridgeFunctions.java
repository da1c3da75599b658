package io.meshfed.xds.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.funqy.FunqyEvents;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import jakarta.inject.Inject;

/**
 * The bridge's CloudEvents sink on Funqy: one shim per handled type (mappings in application.properties), each
 * handing the event to {@link BridgeAdapter}, the adapter local mode calls too. There is no reply: Funqy answers
 * {@code 204}. Refusals become HTTP answers in {@code io.meshfed.funqy.EventFailureRoute}. Each event is handled in
 * its trace ({@code io.meshfed.funqy.EventTracing}); the re-read and publish it causes are a span of it
 * ({@link CatalogFeed}).
 */
public class BridgeFunctions {
    @Inject
    BridgeAdapter adapter;

    @Funq("catalog-changed")
    public CloudEvent<JsonNode> catalogChanged(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("cluster-registered")
    public CloudEvent<JsonNode> clusterRegistered(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("policy-changed")
    public CloudEvent<JsonNode> policyChanged(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }

    @Funq("cluster-deregistered")
    public CloudEvent<JsonNode> clusterDeregistered(CloudEvent<byte[]> event) {
        return FunqyEvents.handle(event, adapter::handle);
    }
}
