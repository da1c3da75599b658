package io.meshfed.export;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Why a workload cluster's API server could not be read. Categories, not messages: alerting and dashboards key on
 * them, so they are stable; the detail goes into {@link ExportFailed#message()} and the log.
 */
public enum FailureReason {
    /** No answer within the configured connect or request timeout. */
    TIMEOUT("timeout"),
    /** Connection refused, host unknown, no route. */
    UNREACHABLE("unreachable"),
    /** The TLS handshake failed: the server's certificate does not chain to the registered CA, or a name mismatch. */
    TLS("tls"),
    /** HTTP 401: the stored token or client certificate is not (or no longer) accepted. */
    UNAUTHORIZED("unauthorized"),
    /** HTTP 403: authenticated, but not allowed to list Services, EndpointSlices, Pods, Nodes or ServiceExports. */
    FORBIDDEN("forbidden"),
    /**
     * HTTP 429: the API server asked to be retried later (priority and fairness, or a just-started server whose
     * storage is still initializing). The next sync event is the retry.
     */
    THROTTLED("throttled"),
    /** HTTP 5xx. */
    SERVER_ERROR("server-error"),
    /** Any other status, or a body that is not the expected Kubernetes object. */
    UNEXPECTED_RESPONSE("unexpected-response"),
    /** The cluster is registered with an API server but no credentials are stored for it. */
    NO_CREDENTIALS("no-credentials");

    private final String wireName;

    FailureReason(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }
}
