package io.meshfed.registration;

/** A request event that cannot be interpreted at all; answered 400 with the field and the problem. */
public final class BadEventException extends RuntimeException {
    private final String field;

    public BadEventException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
