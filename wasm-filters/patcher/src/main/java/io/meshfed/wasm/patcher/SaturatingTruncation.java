package io.meshfed.wasm.patcher;

import java.util.ArrayList;
import java.util.List;

/**
 * Replaces every trapping float-to-integer truncation of a module by its saturating form, so Java's
 * {@code (int)} / {@code (long)} casts keep Java's semantics in the compiled module (see
 * {@link CodeRewriter}). Only the code section changes; function indices stay as they are. Pure function
 * of its input; thread-safe.
 */
public final class SaturatingTruncation {
    private SaturatingTruncation() {}

    /** The module with saturating truncations; the input itself when it has no trapping ones. */
    public static byte[] rewrite(byte[] module) {
        if (count(module) == 0) {
            return module;
        }
        WasmSections in = WasmSections.parse(module);
        List<WasmSections.Section> out = new ArrayList<>();
        for (WasmSections.Section s : in.sections()) {
            out.add(s.id() == WasmSections.CODE ? new WasmSections.Section(s.id(), rewriteCode(s.payload())) : s);
        }
        return WasmSections.assemble(out);
    }

    /** Number of trapping float-to-integer truncations in the module's code. */
    public static int count(byte[] module) {
        byte[] code = WasmSections.parse(module).payload(WasmSections.CODE);
        if (code == null) {
            return 0;
        }
        ByteReader in = new ByteReader(code);
        int functions = in.u32();
        int total = 0;
        for (int i = 0; i < functions; i++) {
            int size = in.u32();
            total += CodeRewriter.trappingTruncations(code, in.position(), size);
            in.skip(size);
        }
        return total;
    }

    private static byte[] rewriteCode(byte[] payload) {
        ByteReader in = new ByteReader(payload);
        int count = in.u32();
        ByteWriter w = new ByteWriter().u32(count);
        for (int i = 0; i < count; i++) {
            int size = in.u32();
            w.sized(CodeRewriter.rewriteBody(payload, in.position(), size, null));
            in.skip(size);
        }
        return w.toByteArray();
    }
}
