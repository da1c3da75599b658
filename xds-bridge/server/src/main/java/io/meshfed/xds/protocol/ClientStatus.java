package io.meshfed.xds.protocol;

import java.time.Instant;
import java.util.Map;

/**
 * What one connected client was sent and what it answered, per type: the debug view of a stream. Immutable; a
 * stream replaces its status on every change.
 */
public record ClientStatus(long streamId, String protocol, String nodeId, String cluster, String group,
        Instant connectedAt, Map<String, TypeStatus> types) {

    public record TypeStatus(String typeUrl, boolean wildcard, int subscribedNames, String sentVersion,
            String sentNonce, int sentResources, String ackedVersion, Nack lastNack) {
    }

    public record Nack(String version, String nonce, String error, Instant at) {
    }
}
