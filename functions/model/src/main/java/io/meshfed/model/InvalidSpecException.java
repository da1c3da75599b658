package io.meshfed.model;

import java.util.List;
import java.util.stream.Collectors;

/** Input that breaks one or more rules. Carries every violation found, not just the first. */
public final class InvalidSpecException extends RuntimeException {
    private final List<Violation> violations;

    public InvalidSpecException(List<Violation> violations) {
        super(violations.stream().map(Violation::toString).collect(Collectors.joining("; ")));
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("an InvalidSpecException needs at least one violation");
        }
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }
}
