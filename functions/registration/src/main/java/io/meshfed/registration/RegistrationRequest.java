package io.meshfed.registration;

/**
 * Data of {@code io.meshfed.cluster.registration.requested}, as sent: every field may be missing or wrong,
 * and {@link RegistrationValidator} reports all problems at once before anything is built from it.
 *
 * <p>{@code apiAccess} is {@code "credentials"} (the default: meshfed reads the cluster's API with
 * {@code credentials}) or {@code "none"} (a cluster that only consumes federated config; no apiServer and
 * no credentials then).
 */
public record RegistrationRequest(
        String name,
        String network,
        LocalityInput locality,
        GatewayInput eastWestGateway,
        String trustDomain,
        String apiAccess,
        ApiServerInput apiServer,
        CredentialsInput credentials) {

    public static final String API_ACCESS_CREDENTIALS = "credentials";
    public static final String API_ACCESS_NONE = "none";

    public record LocalityInput(String region, String zone) {
    }

    public record GatewayInput(String address, Integer port) {
    }

    public record ApiServerInput(String url, String caData) {
    }

    /** Sensitive: never printed. */
    public record CredentialsInput(String token, String clientCertificate, String clientKey) {
        @Override
        public String toString() {
            return "CredentialsInput[<redacted>]";
        }
    }
}
