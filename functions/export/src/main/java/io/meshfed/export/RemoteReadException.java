package io.meshfed.export;

import java.util.Objects;

/** A workload cluster's API server could not be read; {@link #reason()} says in which way. */
public final class RemoteReadException extends Exception {
    private final FailureReason reason;

    public RemoteReadException(FailureReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public FailureReason reason() {
        return reason;
    }
}
