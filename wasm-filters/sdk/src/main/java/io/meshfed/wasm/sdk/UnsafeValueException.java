package io.meshfed.wasm.sdk;

/** A value from the proxy cannot be carried on safely, such as a control character for a header value. */
public final class UnsafeValueException extends RuntimeException {
    public UnsafeValueException(String message) {
        super(message);
    }
}
