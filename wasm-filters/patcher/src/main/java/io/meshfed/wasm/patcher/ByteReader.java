package io.meshfed.wasm.patcher;

/** Cursor over a Wasm binary: LEB128 and raw reads. Not thread-safe. */
final class ByteReader {
    private final byte[] bytes;
    private int pos;
    private final int end;

    ByteReader(byte[] bytes) {
        this(bytes, 0, bytes.length);
    }

    ByteReader(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.pos = offset;
        this.end = offset + length;
    }

    boolean hasMore() {
        return pos < end;
    }

    int position() {
        return pos;
    }

    int u8() {
        if (pos >= end) {
            throw new MalformedModuleException("unexpected end of data at byte " + pos);
        }
        return bytes[pos++] & 0xFF;
    }

    int u32() {
        long result = 0;
        int shift = 0;
        while (true) {
            int b = u8();
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
            shift += 7;
            if (shift > 35) {
                throw new MalformedModuleException("u32 LEB128 too long at byte " + pos);
            }
        }
        if (result > 0xFFFFFFFFL) {
            throw new MalformedModuleException("u32 out of range at byte " + pos);
        }
        return (int) result;
    }

    /** Skips a signed or unsigned LEB128 of any length (used where the value is copied verbatim). */
    void skipLeb() {
        int count = 0;
        while ((u8() & 0x80) != 0) {
            if (++count > 10) {
                throw new MalformedModuleException("LEB128 too long at byte " + pos);
            }
        }
    }

    byte[] bytes(int length) {
        if (length < 0 || pos + length > end) {
            throw new MalformedModuleException("length " + length + " overruns data at byte " + pos);
        }
        byte[] out = new byte[length];
        System.arraycopy(bytes, pos, out, 0, length);
        pos += length;
        return out;
    }

    void skip(int length) {
        if (length < 0 || pos + length > end) {
            throw new MalformedModuleException("length " + length + " overruns data at byte " + pos);
        }
        pos += length;
    }

    String name() {
        return new String(bytes(u32()), java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Copies the bytes between {@code from} and the current position. */
    byte[] slice(int from) {
        byte[] out = new byte[pos - from];
        System.arraycopy(bytes, from, out, 0, out.length);
        return out;
    }
}
