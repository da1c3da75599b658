package io.meshfed.wasm.sdk;

/**
 * A string together with its UTF-8 encoding, computed once. Header names, constant header values and
 * per-VM values (the node's own cluster) are encoded at configuration time, so a host call in the request
 * path copies bytes instead of encoding characters one by one. Immutable.
 */
public final class Utf8String {
    final String string;
    /** Never modified after construction; handed to the host as it is. */
    final byte[] utf8;
    /**
     * Where a Wasm host pinned {@link #utf8} in its arena: {@link #NOT_PINNED} until first sent, {@link
     * #UNPINNABLE} when the pinned region was full. Only the VM's single thread touches it.
     */
    int pinned = NOT_PINNED;
    static final int NOT_PINNED = -2;
    static final int UNPINNABLE = -1;

    private Utf8String(String string) {
        this.string = string;
        this.utf8 = Utf8.encode(string);
    }

    public static Utf8String of(String s) {
        if (s == null) {
            throw new IllegalArgumentException("Utf8String of null");
        }
        return new Utf8String(s);
    }

    public boolean isEmpty() {
        return utf8.length == 0;
    }

    /** True when {@code utf8} holds exactly this string's encoding. */
    public boolean sameBytes(byte[] other) {
        return other != null && java.util.Arrays.equals(utf8, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Utf8String && ((Utf8String) o).string.equals(string);
    }

    @Override
    public int hashCode() {
        return string.hashCode();
    }

    @Override
    public String toString() {
        return string;
    }
}
