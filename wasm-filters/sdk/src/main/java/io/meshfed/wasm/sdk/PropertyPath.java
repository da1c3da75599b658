package io.meshfed.wasm.sdk;

/**
 * A proxy property path such as {@code ["upstream", "address"]}, with the NUL-joined UTF-8 form the ABI
 * wants computed once, so reading the property per request stages one byte copy. Immutable.
 */
public final class PropertyPath {
    final String[] segments;
    final byte[] utf8;
    /** As {@link Utf8String#pinned}. */
    int pinned = Utf8String.NOT_PINNED;

    private PropertyPath(String[] segments) {
        this.segments = segments;
        int len = segments.length - 1;
        byte[][] parts = new byte[segments.length][];
        for (int i = 0; i < segments.length; i++) {
            parts[i] = Utf8.encode(segments[i]);
            len += parts[i].length;
        }
        utf8 = new byte[len];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                utf8[at++] = 0;
            }
            System.arraycopy(parts[i], 0, utf8, at, parts[i].length);
            at += parts[i].length;
        }
    }

    public static PropertyPath of(String... segments) {
        if (segments.length == 0) {
            throw new IllegalArgumentException("property path must not be empty");
        }
        return new PropertyPath(segments.clone());
    }

    /** The segments, a copy. */
    public String[] segments() {
        return segments.clone();
    }

    @Override
    public String toString() {
        return String.join(".", segments);
    }
}
