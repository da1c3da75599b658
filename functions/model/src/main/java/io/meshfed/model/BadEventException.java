package io.meshfed.model;

/**
 * An event (or request) that cannot be interpreted: answered 400 naming the field and the problem; nothing is
 * written. The {@link EventFailure.Kind#BAD_EVENT} failure, thrown by the shared readers of every function's events.
 */
public final class BadEventException extends EventFailure {
    public BadEventException(String field, String problem) {
        this(field, problem, null);
    }

    public BadEventException(String field, String problem, Throwable cause) {
        super(Kind.BAD_EVENT, field, problem, cause);
    }

    /** The request is not a CloudEvent (the envelope, not its data): the field is {@code event}. */
    public static BadEventException notACloudEvent(String problem, Throwable cause) {
        return new BadEventException("event", problem, cause);
    }

    /** Text that is not JSON, with where the parser stopped: {@code is not valid JSON: <why> at line L, column C}. */
    public static BadEventException notJson(String field, com.fasterxml.jackson.core.JsonProcessingException e) {
        var at = e.getLocation();
        return new BadEventException(field, "is not valid JSON: " + e.getOriginalMessage()
                + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()), e);
    }
}
