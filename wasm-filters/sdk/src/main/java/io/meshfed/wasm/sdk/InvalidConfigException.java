package io.meshfed.wasm.sdk;

/** Plugin configuration that cannot be applied; the message names the key or position at fault. */
public final class InvalidConfigException extends RuntimeException {
    public InvalidConfigException(String message) {
        super(message);
    }
}
