package io.meshfed.export;

/** An event that cannot be interpreted: answered 400 naming the field and the problem; nothing is written. */
public final class BadEventException extends RuntimeException {
    private final String field;

    public BadEventException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    public BadEventException(String field, String problem, Throwable cause) {
        super(field + ": " + problem, cause);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** The problem without the field name. */
    public String problem() {
        return getMessage().substring(field.length() + 2);
    }
}
