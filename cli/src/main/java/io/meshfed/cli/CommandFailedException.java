package io.meshfed.cli;

/**
 * A command could not do what it was asked: the message says what and, where it can, what to do about it. The
 * one place that turns it into output and an exit code is {@link MeshfedCommand#commandLine}.
 */
public final class CommandFailedException extends RuntimeException {
    private final int exitCode;

    public CommandFailedException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CommandFailedException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
