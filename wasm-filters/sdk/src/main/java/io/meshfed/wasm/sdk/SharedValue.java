package io.meshfed.wasm.sdk;

/** A shared-data value and the CAS token to pass back when updating it. Immutable. */
public final class SharedValue {
    private final byte[] value;
    private final int cas;

    public SharedValue(byte[] value, int cas) {
        this.value = value;
        this.cas = cas;
    }

    /** The stored bytes, {@code null} when the key has no value yet. Callers must not modify the array. */
    public byte[] value() {
        return value;
    }

    public int cas() {
        return cas;
    }
}
