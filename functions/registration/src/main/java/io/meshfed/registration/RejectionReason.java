package io.meshfed.registration;

/** One typed reason a registration was refused; {@code field} names the request field at fault, if one is. */
public record RejectionReason(Code code, String field, String message) {
    public enum Code {
        /** A field breaks its rule (format, range, presence). */
        INVALID_FIELD,
        /** Another registered cluster already uses this east-west gateway address and port. */
        GATEWAY_IN_USE,
        /** Another registered cluster owns this trust domain, and the operator has not declared it shared. */
        TRUST_DOMAIN_IN_USE,
        /**
         * An update of a cluster registered with API access does not prove it comes from the cluster's owner: it
         * drops API access, or moves the API server with credentials the registered one refuses.
         */
        OWNERSHIP_NOT_PROVEN,
        /** The API server could not be reached in time (connection refused, DNS, timeout). */
        API_SERVER_UNREACHABLE,
        /** TLS failed: the server's certificate does not chain to the given CA or does not match the host. */
        API_SERVER_TLS_FAILURE,
        /** The API server answered 401: the credentials are not accepted. */
        API_SERVER_UNAUTHORIZED,
        /** The API server answered 403: the credentials may not read /version. */
        API_SERVER_FORBIDDEN,
        /** The API server answered 5xx. */
        API_SERVER_ERROR,
        /** The API server answered something that is not a Kubernetes /version document. */
        API_SERVER_UNEXPECTED_RESPONSE
    }
}
