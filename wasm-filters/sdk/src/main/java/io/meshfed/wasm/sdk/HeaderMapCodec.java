package io.meshfed.wasm.sdk;

import java.nio.charset.StandardCharsets;

/**
 * The proxy-wasm header-map wire format: u32 count, then (u32 name length, u32 value length) per pair,
 * then each name and value followed by a NUL byte; little-endian. Stateless.
 */
public final class HeaderMapCodec {
    private HeaderMapCodec() {}

    /** Decodes {@code len} bytes at {@code off} into alternating name/value entries. */
    public static String[] decode(byte[] data, int off, int len) {
        int end = off + len;
        int count = readInt(data, off, end);
        if (count < 0 || count > (len - 4) / 8) {
            throw new IllegalArgumentException("header map count " + count + " does not fit " + len + " bytes");
        }
        String[] out = new String[count * 2];
        int sizes = off + 4;
        int p = sizes + count * 8;
        for (int i = 0; i < count * 2; i++) {
            int n = readInt(data, sizes + i * 4, end);
            if (n < 0 || p + n + 1 > end) {
                throw new IllegalArgumentException("header map entry " + i + " overruns the buffer");
            }
            out[i] = Utf8.decode(data, p, n);
            p += n + 1;
        }
        return out;
    }

    /**
     * Finds {@code names} (lower-case ASCII) in the encoded map of {@code len} bytes at {@code off}, names
     * compared ignoring ASCII case, without decoding anything else: only matching names that are spelled
     * differently and matching values of at most {@code maxValueBytes} become Strings.
     */
    static HeaderMatches match(byte[] data, int off, int len, Utf8String[] names, int maxValueBytes) {
        int end = off + len;
        int count = readInt(data, off, end);
        if (count < 0 || count > (len - 4) / 8) {
            throw new IllegalArgumentException("header map count " + count + " does not fit " + len + " bytes");
        }
        HeaderMatches.Builder b = new HeaderMatches.Builder(names.length);
        int sizes = off + 4;
        int p = sizes + count * 8;
        for (int i = 0; i < count; i++) {
            int nameLen = readInt(data, sizes + i * 8, end);
            int valueLen = readInt(data, sizes + i * 8 + 4, end);
            if (nameLen < 0 || valueLen < 0 || p + nameLen + 1 > end || p + nameLen + 1 + valueLen + 1 > end) {
                throw new IllegalArgumentException("header map entry " + i + " overruns the buffer");
            }
            int value = p + nameLen + 1;
            for (int n = 0; n < names.length; n++) {
                byte[] want = names[n].utf8;
                if (want.length != nameLen) {
                    continue;
                }
                boolean exact = true;
                boolean folded = true;
                for (int k = 0; k < nameLen; k++) {
                    int c = data[p + k];
                    if (c != want[k]) {
                        exact = false;
                        if (HeaderMatches.lower(c) != want[k]) {
                            folded = false;
                            break;
                        }
                    }
                }
                if (folded) {
                    b.add(n, exact ? null : Utf8.decode(data, p, nameLen),
                            valueLen > maxValueBytes ? null : Utf8.decode(data, value, valueLen));
                }
            }
            p = value + valueLen + 1;
        }
        return b.build();
    }

    /** Encodes alternating name/value entries into a new array (for plain-Java hosts and tests). */
    public static byte[] encode(String... pairs) {
        requireEven(pairs);
        byte[][] parts = new byte[pairs.length][];
        int size = 4 + pairs.length * 4;
        for (int i = 0; i < pairs.length; i++) {
            parts[i] = pairs[i].getBytes(StandardCharsets.UTF_8);
            size += parts[i].length + 1;
        }
        byte[] out = new byte[size];
        writeInt(out, 0, pairs.length / 2);
        int p = 4 + pairs.length * 4;
        for (int i = 0; i < pairs.length; i++) {
            writeInt(out, 4 + i * 4, parts[i].length);
            System.arraycopy(parts[i], 0, out, p, parts[i].length);
            p += parts[i].length + 1;
        }
        return out;
    }

    /** Stages the encoding directly in the arena, without allocating. */
    static void encodeIntoArena(String[] pairs) {
        requireEven(pairs);
        Arena.putInt(pairs.length / 2);
        int sizes = Arena.top();
        for (int i = 0; i < pairs.length; i++) {
            Arena.putInt(0);
        }
        for (int i = 0; i < pairs.length; i++) {
            int start = Arena.putUtf8(pairs[i]);
            Arena.setInt(sizes + i * 4, Arena.top() - start);
            Arena.put(0);
        }
    }

    private static void requireEven(String[] pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("headers must alternate name and value");
        }
    }

    private static int readInt(byte[] d, int at, int end) {
        if (at + 4 > end) {
            throw new IllegalArgumentException("header map truncated");
        }
        return (d[at] & 0xFF) | (d[at + 1] & 0xFF) << 8 | (d[at + 2] & 0xFF) << 16 | (d[at + 3] & 0xFF) << 24;
    }

    private static void writeInt(byte[] d, int at, int v) {
        d[at] = (byte) v;
        d[at + 1] = (byte) (v >>> 8);
        d[at + 2] = (byte) (v >>> 16);
        d[at + 3] = (byte) (v >>> 24);
    }
}
