package io.meshfed.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Collects violations while a spec is checked rule by rule, so that every failure is reported together.
 * Not thread-safe; one instance per validation.
 */
public final class Violations {
    private final List<Violation> found = new ArrayList<>();

    /** Records {@code problem} against {@code field} when present. */
    public Violations check(String field, Optional<String> problem) {
        problem.ifPresent(message -> found.add(new Violation(field, message)));
        return this;
    }

    public Violations add(String field, String message) {
        found.add(new Violation(field, message));
        return this;
    }

    public Violations addAll(String prefix, List<Violation> nested) {
        for (Violation v : nested) {
            found.add(new Violation(prefix + "." + v.field(), v.message()));
        }
        return this;
    }

    public boolean isEmpty() {
        return found.isEmpty();
    }

    public List<Violation> list() {
        return List.copyOf(found);
    }

    /** Throws {@link InvalidSpecException} carrying every violation when any was found. */
    public void throwIfAny() {
        if (!found.isEmpty()) {
            throw new InvalidSpecException(found);
        }
    }
}
