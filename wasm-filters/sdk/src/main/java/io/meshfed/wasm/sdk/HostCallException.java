package io.meshfed.wasm.sdk;

/** A host call returned a status other than OK (or one the caller handles, such as NOT_FOUND). */
public final class HostCallException extends RuntimeException {
    private final int status;

    public HostCallException(String call, int status) {
        super(call + " failed with proxy status " + status);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
