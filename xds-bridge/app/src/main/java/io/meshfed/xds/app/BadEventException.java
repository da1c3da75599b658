package io.meshfed.xds.app;

/** An event the bridge cannot act on; answered 400 naming the field and the problem. */
public final class BadEventException extends RuntimeException {
    private final String field;
    private final String problem;

    public BadEventException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
        this.problem = problem;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }
}
