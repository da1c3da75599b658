package io.meshfed.wasm.patcher;

/** The input is not a Wasm module this patcher understands (truncated, bad LEB, unsupported encoding). */
public final class MalformedModuleException extends RuntimeException {
    public MalformedModuleException(String message) {
        super(message);
    }
}
