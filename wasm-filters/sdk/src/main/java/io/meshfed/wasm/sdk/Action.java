package io.meshfed.wasm.sdk;

/** What the proxy does after a stream callback (ordinal = wire value). */
public enum Action {
    CONTINUE, PAUSE
}
