package io.meshfed.model;

/**
 * An event (or request) that cannot be interpreted: answered 400 naming the field and the problem; nothing is
 * written. One type for every function, the bridge's sink and local mode, so each reads another's refusals alike.
 */
public final class BadEventException extends RuntimeException {
    private final String field;
    private final String problem;

    public BadEventException(String field, String problem) {
        this(field, problem, null);
    }

    public BadEventException(String field, String problem, Throwable cause) {
        super(field + ": " + problem, cause);
        this.field = field;
        this.problem = problem;
    }

    /** The field at fault, such as {@code data.cluster.name}, {@code subject} or {@code type}. */
    public String field() {
        return field;
    }

    /** The problem, without the field name. */
    public String problem() {
        return problem;
    }
}
