package io.meshfed.wasm.patcher;

/**
 * Walks one function body instruction by instruction, rewrites function-index operands ({@code call},
 * {@code return_call}, {@code ref.func}) and replaces every trapping float-to-integer truncation by its
 * saturating form; every other byte is copied verbatim. Covers the MVP instruction set plus
 * sign-extension, saturating truncation, bulk memory and reference types, which is what TeaVM emits;
 * SIMD and anything unknown fail loudly rather than being copied blind.
 *
 * <p>Why saturate: Java's {@code (int) d} and {@code (long) d} never throw (NaN becomes 0, out-of-range
 * values the nearest bound), but TeaVM emits {@code i32/i64.trunc_f32/f64_s/u}, which trap on NaN and out
 * of range. {@code i32/i64.trunc_sat_*} (0xFC 0x00-0x07) compute exactly Java's result for the signed
 * forms, so the module keeps the semantics the Java source was written and tested with.
 */
final class CodeRewriter {
    private CodeRewriter() {}

    /** Sub-opcode of the saturating form (after 0xFC) of a trapping truncation opcode, or -1. */
    static int saturatingFormOf(int op) {
        return switch (op) {
            case 0xA8 -> 0; // i32.trunc_f32_s
            case 0xA9 -> 1; // i32.trunc_f32_u
            case 0xAA -> 2; // i32.trunc_f64_s
            case 0xAB -> 3; // i32.trunc_f64_u
            case 0xAE -> 4; // i64.trunc_f32_s
            case 0xAF -> 5; // i64.trunc_f32_u
            case 0xB0 -> 6; // i64.trunc_f64_s
            case 0xB1 -> 7; // i64.trunc_f64_u
            default -> -1;
        };
    }

    /** Number of trapping float-to-integer truncations in one function body. */
    static int trappingTruncations(byte[] code, int offset, int size) {
        int[] found = new int[1];
        walk(code, offset, size, null, found);
        return found[0];
    }

    /**
     * The body with function indices remapped ({@code remap == null}: kept as they are) and truncations
     * made saturating.
     */
    static byte[] rewriteBody(byte[] code, int offset, int size, int[] remap) {
        return walk(code, offset, size, remap, new int[1]);
    }

    /** One pass over a body, counting the trapping truncations it replaced into {@code trapping[0]}. */
    private static byte[] walk(byte[] code, int offset, int size, int[] remap, int[] trapping) {
        ByteReader in = new ByteReader(code, offset, size);
        ByteWriter out = new ByteWriter();
        int start = in.position();
        int groups = in.u32();
        for (int i = 0; i < groups; i++) {
            in.u32();
            in.u8();
        }
        out.bytes(in.slice(start));
        while (in.hasMore()) {
            int opStart = in.position();
            int op = in.u8();
            switch (op) {
                case 0x10, 0x12, 0xD2 -> { // call, return_call, ref.func
                    int index = in.u32();
                    if (remap == null) {
                        out.bytes(in.slice(opStart));
                        continue;
                    }
                    if (index >= remap.length) {
                        throw new MalformedModuleException("function index " + index + " out of range");
                    }
                    out.u8(op).u32(remap[index]);
                    continue;
                }
                case 0x02, 0x03, 0x04 -> blockType(in);
                case 0x0C, 0x0D, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26 -> in.u32();
                case 0x0E -> {
                    int n = in.u32();
                    for (int k = 0; k <= n; k++) {
                        in.u32();
                    }
                }
                case 0x11, 0x13 -> {
                    in.u32();
                    in.u32();
                }
                case 0x1C -> {
                    int n = in.u32();
                    in.skip(n);
                }
                case 0x3F, 0x40 -> in.u8();
                case 0x41, 0x42 -> in.skipLeb();
                case 0x43 -> in.skip(4);
                case 0x44 -> in.skip(8);
                case 0xD0 -> in.u8();
                case 0xFC -> prefixed(in);
                case 0xFD -> throw new MalformedModuleException("SIMD instructions are not supported");
                default -> {
                    int saturating = saturatingFormOf(op);
                    if (saturating >= 0) {
                        trapping[0]++;
                        out.u8(0xFC).u32(saturating);
                        continue;
                    }
                    if (op >= 0x28 && op <= 0x3E) {
                        in.u32();
                        in.u32();
                    } else if (!isPlain(op)) {
                        throw new MalformedModuleException("unknown opcode 0x" + Integer.toHexString(op)
                                + " at byte " + opStart);
                    }
                }
            }
            out.bytes(in.slice(opStart));
        }
        return out.toByteArray();
    }

    private static void blockType(ByteReader in) {
        int start = in.position();
        int b = in.u8();
        if (b == 0x40 || b == 0x7F || b == 0x7E || b == 0x7D || b == 0x7C || b == 0x7B || b == 0x70 || b == 0x6F) {
            return;
        }
        // s33 type index: re-read as LEB from the first byte.
        if ((b & 0x80) != 0) {
            in.skipLeb();
        }
        if (in.position() == start) {
            throw new MalformedModuleException("bad block type");
        }
    }

    private static void prefixed(ByteReader in) {
        int sub = in.u32();
        switch (sub) {
            case 0, 1, 2, 3, 4, 5, 6, 7 -> { }
            case 8 -> {
                in.u32();
                in.u8();
            }
            case 9, 13, 15, 16, 17 -> in.u32();
            case 10 -> {
                in.u8();
                in.u8();
            }
            case 11 -> in.u8();
            case 12, 14 -> {
                in.u32();
                in.u32();
            }
            default -> throw new MalformedModuleException("unknown 0xFC instruction " + sub);
        }
    }

    /** Opcodes without immediates: control without operands, parametric, numeric, conversions, extensions. */
    private static boolean isPlain(int op) {
        return op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0B || op == 0x0F || op == 0x1A || op == 0x1B
                || (op >= 0x45 && op <= 0xC4) || op == 0xD1;
    }
}
