package io.meshfed.local;

/** A CloudEvent the local broker or a function cannot take; the broker's HTTP endpoint answers 400 with it. */
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
