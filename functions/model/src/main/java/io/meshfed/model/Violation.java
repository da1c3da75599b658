package io.meshfed.model;

import java.util.Objects;

/**
 * One broken rule of a spec: the JSON path of the offending field and a message a person can act on.
 * Violations are values; a list of them is the whole answer to "what is wrong with this input".
 */
public record Violation(String field, String message) {
    public Violation {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
