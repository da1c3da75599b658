package io.meshfed.cli;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Data of {@code io.meshfed.cluster.registration.requested} as the CLI sends it (docs/events.md): read from
 * {@code -f cluster.json|yaml} or built from flags. The registration function checks every rule; the CLI only
 * makes sure the shape is right (known fields, right types) before sending.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record RegistrationData(
        String name,
        String network,
        Locality locality,
        Gateway eastWestGateway,
        String trustDomain,
        String apiAccess,
        ApiServer apiServer,
        Credentials credentials) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Locality(String region, String zone) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Gateway(String address, Integer port) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ApiServer(String url, String caData) {
    }

    /** Sensitive: never printed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Credentials(String token, String clientCertificate, String clientKey) {
        @Override
        public String toString() {
            return "Credentials[<redacted>]";
        }
    }
}
