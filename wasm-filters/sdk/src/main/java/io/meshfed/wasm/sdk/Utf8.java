package io.meshfed.wasm.sdk;

/**
 * UTF-8 decoding without {@code java.nio.charset}, which would add tens of kilobytes to every module.
 * Malformed input decodes to U+FFFD per bad byte. Stateless.
 */
public final class Utf8 {
    private Utf8() {}

    public static String decode(byte[] b) {
        return decode(b, 0, b.length);
    }

    public static String decode(byte[] b, int off, int len) {
        char[] out = new char[len];
        int n = 0;
        int end = off + len;
        int i = off;
        while (i < end) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                out[n++] = (char) c;
                i++;
                continue;
            }
            int cp = codePointAt(b, i, end);
            if (cp < 0) {
                out[n++] = '\uFFFD';
                i++;
                continue;
            }
            i += length(cp);
            if (cp >= 0x10000) {
                int supplementary = cp - 0x10000;
                out[n++] = (char) (0xD800 + (supplementary >> 10));
                out[n++] = (char) (0xDC00 + (supplementary & 0x3FF));
            } else {
                out[n++] = (char) cp;
            }
        }
        return new String(out, 0, n);
    }

    /** The UTF-8 encoding of {@code s}; lone surrogates encode as U+FFFD. Allocates; not for the request path. */
    public static byte[] encode(String s) {
        int[] n = new int[1];
        encode(s, b -> n[0]++);
        byte[] out = new byte[n[0]];
        int[] at = new int[1];
        encode(s, b -> out[at[0]++] = (byte) b);
        return out;
    }

    /**
     * Offset of the first byte that does not start a well-formed UTF-8 sequence (overlong forms, surrogates
     * and code points above U+10FFFF included), or -1 when all of {@code b} is well-formed.
     */
    public static int firstMalformed(byte[] b) {
        int i = 0;
        while (i < b.length) {
            int cp = codePointAt(b, i, b.length);
            if (cp < 0) {
                return i;
            }
            i += length(cp);
        }
        return -1;
    }

    /**
     * The code point of the well-formed sequence that starts at {@code b[i]} and ends before {@code end}, or -1 when
     * it is malformed: a byte that starts no sequence, a truncated or broken sequence, an overlong form, a surrogate,
     * or a code point above U+10FFFF.
     */
    private static int codePointAt(byte[] b, int i, int end) {
        int c = b[i] & 0xFF;
        if (c < 0x80) {
            return c;
        }
        int need;
        int cp;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        if (i + need >= end) {
            return -1;
        }
        for (int k = 1; k <= need; k++) {
            int cc = b[i + k] & 0xFF;
            if ((cc & 0xC0) != 0x80) {
                return -1;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp > 0x10FFFF || (need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000)
                || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return -1;
        }
        return cp;
    }

    /** How many bytes the well-formed (shortest) encoding of {@code cp} takes. */
    private static int length(int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    /** True when every byte is below 0x80, so the bytes and their decoded string correspond one to one. */
    public static boolean isAscii(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] < 0) {
                return false;
            }
        }
        return true;
    }

    /** Calls {@code sink} once per encoded byte; lone surrogates encode as U+FFFD. */
    static void encode(String s, ByteSink sink) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            int c = s.charAt(i);
            if (c < 0x80) {
                sink.put(c);
            } else if (c < 0x800) {
                sink.put(0xC0 | (c >> 6));
                sink.put(0x80 | (c & 0x3F));
            } else if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && s.charAt(i + 1) >= 0xDC00 && s.charAt(i + 1) <= 0xDFFF) {
                int cp = 0x10000 + ((c - 0xD800) << 10) + (s.charAt(++i) - 0xDC00);
                sink.put(0xF0 | (cp >> 18));
                sink.put(0x80 | ((cp >> 12) & 0x3F));
                sink.put(0x80 | ((cp >> 6) & 0x3F));
                sink.put(0x80 | (cp & 0x3F));
            } else {
                if (c >= 0xD800 && c <= 0xDFFF) {
                    c = 0xFFFD;
                }
                sink.put(0xE0 | (c >> 12));
                sink.put(0x80 | ((c >> 6) & 0x3F));
                sink.put(0x80 | (c & 0x3F));
            }
        }
    }

    /** Receives encoded bytes. */
    interface ByteSink {
        void put(int b);
    }
}
