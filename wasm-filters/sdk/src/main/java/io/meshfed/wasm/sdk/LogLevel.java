package io.meshfed.wasm.sdk;

/** Log levels of proxy-wasm ABI 0.2.1 (ordinal = wire value). */
public enum LogLevel {
    TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL
}
