package io.meshfed.registration;

/** A request event that cannot be interpreted at all; answered 400 with the field and the problem. */
public final class BadEventException extends RuntimeException {
    private final String field;
    private final String problem;

    public BadEventException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
        this.problem = problem;
    }

    public String problem() {
        return problem;
    }

    public String field() {
        return field;
    }
}
