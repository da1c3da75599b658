package io.meshfed.xds.cache;

import java.util.List;

/** A snapshot would name resources it does not hold; it is never published. */
public final class InconsistentSnapshotException extends IllegalStateException {
    private final List<String> problems;

    public InconsistentSnapshotException(List<String> problems) {
        super("inconsistent snapshot: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
