package io.meshfed.wasm.patcher;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Growable Wasm binary writer (LEB128 helpers). Not thread-safe. */
final class ByteWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    ByteWriter u8(int b) {
        out.write(b);
        return this;
    }

    ByteWriter u32(int value) {
        long v = value & 0xFFFFFFFFL;
        do {
            int b = (int) (v & 0x7F);
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
        return this;
    }

    ByteWriter s64(long value) {
        boolean more = true;
        while (more) {
            int b = (int) (value & 0x7F);
            value >>= 7;
            if ((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0)) {
                more = false;
            } else {
                b |= 0x80;
            }
            out.write(b);
        }
        return this;
    }

    ByteWriter s32(int value) {
        return s64(value);
    }

    ByteWriter bytes(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    ByteWriter name(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u32(b.length).bytes(b);
    }

    /** Writes {@code content} prefixed with its u32 length (a section payload or function body). */
    ByteWriter sized(byte[] content) {
        return u32(content.length).bytes(content);
    }

    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
