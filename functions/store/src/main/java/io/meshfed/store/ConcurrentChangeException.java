package io.meshfed.store;

/** Another writer changed the same object between our read and our write; re-read and decide again. */
public final class ConcurrentChangeException extends RuntimeException {
    public ConcurrentChangeException(String message, Throwable cause) {
        super(message, cause);
    }
}
