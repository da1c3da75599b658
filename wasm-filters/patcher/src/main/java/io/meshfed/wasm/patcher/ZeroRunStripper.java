package io.meshfed.wasm.patcher;

import java.util.ArrayList;
import java.util.List;

/**
 * Drops long runs of zero bytes from active data segments. A module that defines (not imports) its memory
 * starts with that memory zeroed, so writing zeros at instantiation is a no-op: splitting a segment around
 * each run of {@link #MIN_RUN} or more zeros keeps the initial memory image byte-for-byte identical while
 * TeaVM's mostly-empty static heap image stops costing module size. Pure function; thread-safe.
 */
public final class ZeroRunStripper {
    /** Shorter runs cost less than the ~6-byte header of an extra segment. */
    static final int MIN_RUN = 16;

    private ZeroRunStripper() {}

    /** Returns the module with zero runs stripped, or the input when it imports memory or uses passive data. */
    public static byte[] strip(byte[] module) {
        WasmSections in = WasmSections.parse(module);
        if (in.imports().stream().anyMatch(i -> i.kind() == 2) || in.payload(12) != null) {
            return module;
        }
        byte[] data = in.payload(11);
        if (data == null) {
            return module;
        }
        List<int[]> pieces = new ArrayList<>(); // {memoryOffset, start in data, length}
        ByteReader r = new ByteReader(data);
        int count = r.u32();
        for (int s = 0; s < count; s++) {
            int flags = r.u32();
            if (flags != 0 || r.u8() != 0x41) {
                return module; // passive, multi-memory or non-constant offset: leave untouched
            }
            int offset = readS32(r);
            if (r.u8() != 0x0B) {
                return module;
            }
            int len = r.u32();
            int start = r.position();
            r.skip(len);
            int i = 0;
            while (i < len) {
                while (i < len && data[start + i] == 0) {
                    i++;
                }
                int pieceStart = i;
                int zeros = 0;
                while (i < len) {
                    if (data[start + i] == 0) {
                        zeros++;
                        if (zeros >= MIN_RUN) {
                            break;
                        }
                    } else {
                        zeros = 0;
                    }
                    i++;
                }
                int pieceEnd = i - (zeros >= MIN_RUN ? zeros - 1 : zeros);
                if (i >= len) {
                    pieceEnd = len - zeros;
                }
                if (pieceEnd > pieceStart) {
                    pieces.add(new int[] {offset + pieceStart, start + pieceStart, pieceEnd - pieceStart});
                }
            }
        }
        ByteWriter w = new ByteWriter().u32(pieces.size());
        for (int[] p : pieces) {
            byte[] bytes = new byte[p[2]];
            System.arraycopy(data, p[1], bytes, 0, p[2]);
            w.u32(0).u8(0x41).s32(p[0]).u8(0x0B).sized(bytes);
        }
        List<WasmSections.Section> out = new ArrayList<>();
        for (WasmSections.Section s : in.sections()) {
            out.add(s.id() == 11 ? new WasmSections.Section(11, w.toByteArray()) : s);
        }
        return WasmSections.assemble(out);
    }

    private static int readS32(ByteReader r) {
        int result = 0;
        int shift = 0;
        int b;
        do {
            b = r.u8();
            result |= (b & 0x7F) << shift;
            shift += 7;
        } while ((b & 0x80) != 0 && shift < 35);
        if (shift < 32 && (b & 0x40) != 0) {
            result |= -1 << shift;
        }
        return result;
    }
}
