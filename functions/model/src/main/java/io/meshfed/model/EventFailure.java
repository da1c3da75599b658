package io.meshfed.model;

/**
 * Why an event was not handled: the one typed error every function adapter throws and every host (the Funqy
 * functions, local mode's broker) answers alike. The {@link Kind} fixes the HTTP status and the stable error code;
 * {@link #field()} names what is wrong and {@link #problem()} says how. Whoever throws it has written nothing.
 * {@link EventAnswer} is the one place it becomes an HTTP answer (docs/events.md, "HTTP answers that are not
 * events").
 */
public class EventFailure extends RuntimeException {
    /** The failure categories, each with its HTTP status and the {@code error} code of the body. */
    public enum Kind {
        /** The event cannot be interpreted as sent (the sender's mistake); Knative does not retry 400. */
        BAD_EVENT(400, "bad-event"),
        /** The sender showed no credential, or one its issuer did not authenticate. */
        UNAUTHENTICATED(401, "unauthenticated"),
        /** The sender is authenticated but may not send this (another identity, audience or event type). */
        FORBIDDEN(403, "forbidden"),
        /** No function handles the event's type (Funqy's own routing). */
        NO_HANDLER(404, "no-handler"),
        /** The body is above {@link EventAnswer#MAX_BODY_BYTES}; nothing of it was parsed. */
        TOO_LARGE(413, "too-large"),
        /** The event names a cluster that is not registered; not 404, which Knative retries. */
        UNKNOWN_CLUSTER(422, "unknown-cluster"),
        /** Other writers kept changing the state the handler read; retried later. */
        CONTENDED(503, "contended"),
        /** Something the handler must ask first cannot be asked now (a cluster's API server); retried later. */
        UNAVAILABLE(503, "unavailable"),
        /** The management plane failed; retried. */
        FAILED(500, "failed");

        private final int status;
        private final String code;

        Kind(int status, String code) {
            this.status = status;
            this.code = code;
        }

        public int status() {
            return status;
        }

        /** The stable {@code error} value of the answer's body. */
        public String code() {
            return code;
        }
    }

    private final Kind kind;
    private final String field;
    private final String problem;

    public EventFailure(Kind kind, String field, String problem) {
        this(kind, field, problem, null);
    }

    public EventFailure(Kind kind, String field, String problem, Throwable cause) {
        super(field + ": " + problem, cause);
        this.kind = java.util.Objects.requireNonNull(kind, "kind");
        this.field = field;
        this.problem = problem;
    }

    public Kind kind() {
        return kind;
    }

    /** The field at fault, such as {@code data.cluster.name}, {@code subject}, {@code event} or {@code body}. */
    public String field() {
        return field;
    }

    /** The problem, without the field name. */
    public String problem() {
        return problem;
    }
}
