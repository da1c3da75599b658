package io.meshfed.xds.protocol;

import java.time.Instant;
import java.util.Map;

/**
 * What one connected client was sent and what it answered, per type: the debug view of a stream. Immutable; a
 * stream replaces its status on every change.
 */
public record ClientStatus(long streamId, String protocol, String nodeId, String cluster, String group,
        Instant connectedAt, Map<String, TypeStatus> types) {

    /**
     * @param awaitingAnswer whether the response last sent ({@code sentNonce}) awaits its ACK or NACK, so that no
     *     other response of the type is sent meanwhile
     * @param heldVersion the version of the response flow control holds back (the newest state, sent once the client
     *     answers or its connection drains), null when nothing is held
     */
    public record TypeStatus(String typeUrl, boolean wildcard, int subscribedNames, String sentVersion,
            String sentNonce, int sentResources, String ackedVersion, Nack lastNack, boolean awaitingAnswer,
            String heldVersion) {
    }

    public record Nack(String version, String nonce, String error, Instant at) {
    }
}
