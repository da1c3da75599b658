package io.meshfed.local;

/** An example directory is unusable; the message names the file and what to fix. */
public final class ExampleException extends RuntimeException {
    public ExampleException(String message) {
        super(message);
    }
}
