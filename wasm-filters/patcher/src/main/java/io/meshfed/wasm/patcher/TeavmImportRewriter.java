package io.meshfed.wasm.patcher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rewrites the four {@code teavm.*} imports of TeaVM 0.10's classic {@code WEBASSEMBLY} target into
 * functions defined inside the module, so the module links in a proxy-wasm host:
 *
 * <ul>
 *   <li>{@code logString}, {@code logInt}: no-ops (TeaVM's own debug output, never part of filter logic);
 *   <li>{@code logOutOfMemory}: {@code unreachable} (the heap is exhausted; trapping is the only safe answer);
 *   <li>{@code currentTimeMillis}: {@code env.proxy_get_current_time_nanoseconds} / 1e6. The host writes the
 *       time into 8 bytes of linear memory at {@link #TIME_SCRATCH}; the function saves those 8 bytes into a
 *       local first and restores them after reading, so no guest state is disturbed, whatever lives there.
 * </ul>
 *
 * <p>Imported functions occupy the first function indices, so removing imports renumbers every function:
 * call and ref.func operands in code, exports, the start function and element segments are rewritten.
 * Custom sections (names, debug info) are dropped because their function indices would be stale.
 * Pure function of its input; thread-safe.
 */
public final class TeavmImportRewriter {
    /** 8-byte aligned, and clear of addresses 0-3 which the TeaVM GC scans. */
    static final int TIME_SCRATCH = 8;

    private static final String TEAVM = "teavm";
    private static final String TIME_IMPORT = "proxy_get_current_time_nanoseconds";
    private static final int I32 = 0x7F;

    private TeavmImportRewriter() {}

    /** Returns the rewritten module, or the input unchanged when it imports nothing from {@code teavm}. */
    public static byte[] rewrite(byte[] module) {
        WasmSections in = WasmSections.parse(module);
        List<WasmSections.Import> imports = in.imports();
        if (imports.stream().noneMatch(i -> i.module().equals(TEAVM))) {
            return module;
        }
        List<FuncType> types = FuncType.parseAll(in.payload(WasmSections.TYPE));
        int definedCount = countFunctions(in.payload(WasmSections.FUNCTION));

        // Plan the new import list and function index map.
        List<WasmSections.Import> kept = new ArrayList<>();
        List<WasmSections.Import> removed = new ArrayList<>();
        int oldFuncImports = 0;
        for (WasmSections.Import imp : imports) {
            if (imp.kind() == WasmSections.Import.FUNC) {
                oldFuncImports++;
            }
            if (imp.module().equals(TEAVM)) {
                if (imp.kind() != WasmSections.Import.FUNC) {
                    throw new MalformedModuleException("non-function import " + imp.qualifiedName());
                }
                replacementFor(imp.name()); // fails fast on an import this rewriter does not know
                removed.add(imp);
            } else {
                kept.add(imp);
            }
        }
        boolean needsClock = removed.stream().anyMatch(i -> i.name().equals("currentTimeMillis"));
        int clockType = -1;
        List<FuncType> newTypes = new ArrayList<>(types);
        int clockFunc = -1;
        if (needsClock) {
            FuncType wanted = new FuncType(new byte[] {(byte) I32}, new byte[] {(byte) I32});
            clockType = newTypes.indexOf(wanted);
            if (clockType < 0) {
                clockType = newTypes.size();
                newTypes.add(wanted);
            }
            int funcPos = 0;
            for (WasmSections.Import imp : kept) {
                if (imp.kind() == WasmSections.Import.FUNC) {
                    if (imp.module().equals("env") && imp.name().equals(TIME_IMPORT)) {
                        clockFunc = funcPos;
                    }
                    funcPos++;
                }
            }
            if (clockFunc < 0) {
                kept.add(new WasmSections.Import("env", TIME_IMPORT, WasmSections.Import.FUNC, clockType));
            }
        }
        int newFuncImports = (int) kept.stream().filter(i -> i.kind() == WasmSections.Import.FUNC).count();
        if (needsClock && clockFunc < 0) {
            clockFunc = newFuncImports - 1;
        }
        int[] remap = new int[oldFuncImports + definedCount];
        int keptPos = 0;
        int replacementPos = 0;
        int oldPos = 0;
        for (WasmSections.Import imp : imports) {
            if (imp.kind() != WasmSections.Import.FUNC) {
                continue;
            }
            if (imp.module().equals(TEAVM)) {
                remap[oldPos] = newFuncImports + definedCount + replacementPos++;
            } else {
                remap[oldPos] = keptPos++;
            }
            oldPos++;
        }
        for (int j = 0; j < definedCount; j++) {
            remap[oldFuncImports + j] = newFuncImports + j;
        }

        List<WasmSections.Section> out = new ArrayList<>();
        for (WasmSections.Section s : in.sections()) {
            switch (s.id()) {
                case WasmSections.CUSTOM -> { }
                case WasmSections.TYPE -> out.add(new WasmSections.Section(s.id(), FuncType.encodeAll(newTypes)));
                case WasmSections.IMPORT -> out.add(new WasmSections.Section(s.id(), encodeImports(kept, in)));
                case WasmSections.FUNCTION -> out.add(new WasmSections.Section(s.id(), appendFunctions(s.payload(), removed)));
                case WasmSections.EXPORT -> out.add(new WasmSections.Section(s.id(), remapExports(s.payload(), remap)));
                case WasmSections.START -> out.add(new WasmSections.Section(s.id(),
                        new ByteWriter().u32(remap[new ByteReader(s.payload()).u32()]).toByteArray()));
                case WasmSections.ELEMENT -> out.add(new WasmSections.Section(s.id(), remapElements(s.payload(), remap)));
                case WasmSections.CODE -> out.add(new WasmSections.Section(s.id(),
                        rewriteCode(s.payload(), remap, removed, clockFunc, types)));
                default -> out.add(s);
            }
        }
        return WasmSections.assemble(out);
    }

    private static void replacementFor(String name) {
        switch (name) {
            case "currentTimeMillis", "logString", "logInt", "logOutOfMemory" -> { }
            default -> throw new MalformedModuleException("unknown TeaVM import teavm." + name
                    + " (this rewriter knows currentTimeMillis, logString, logInt, logOutOfMemory)");
        }
    }

    private static int countFunctions(byte[] payload) {
        return payload == null ? 0 : new ByteReader(payload).u32();
    }

    private static byte[] encodeImports(List<WasmSections.Import> kept, WasmSections original) {
        // Non-function imports are copied from the original encoding; re-read it to keep their descriptors.
        ByteReader in = new ByteReader(original.payload(WasmSections.IMPORT));
        int count = in.u32();
        List<byte[]> raw = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int start = in.position();
            String module = in.name();
            String name = in.name();
            int kind = in.u8();
            switch (kind) {
                case 0 -> in.u32();
                case 1 -> {
                    in.u8();
                    WasmSections.skipLimits(in);
                }
                case 2 -> WasmSections.skipLimits(in);
                default -> {
                    in.u8();
                    in.u8();
                }
            }
            raw.add(in.slice(start));
            keys.add(module + "\u0000" + name);
        }
        ByteWriter w = new ByteWriter().u32(kept.size());
        for (WasmSections.Import imp : kept) {
            int at = keys.indexOf(imp.module() + "\u0000" + imp.name());
            if (at >= 0) {
                w.bytes(raw.get(at));
            } else {
                w.name(imp.module()).name(imp.name()).u8(0).u32(imp.typeIndex());
            }
        }
        return w.toByteArray();
    }

    private static byte[] appendFunctions(byte[] payload, List<WasmSections.Import> removed) {
        ByteReader in = new ByteReader(payload);
        int count = in.u32();
        ByteWriter w = new ByteWriter().u32(count + removed.size());
        for (int i = 0; i < count; i++) {
            w.u32(in.u32());
        }
        for (WasmSections.Import imp : removed) {
            w.u32(imp.typeIndex());
        }
        return w.toByteArray();
    }

    private static byte[] remapExports(byte[] payload, int[] remap) {
        ByteReader in = new ByteReader(payload);
        int count = in.u32();
        ByteWriter w = new ByteWriter().u32(count);
        for (int i = 0; i < count; i++) {
            w.name(in.name());
            int kind = in.u8();
            int index = in.u32();
            w.u8(kind).u32(kind == 0 ? remap[index] : index);
        }
        return w.toByteArray();
    }

    private static byte[] remapElements(byte[] payload, int[] remap) {
        ByteReader in = new ByteReader(payload);
        int count = in.u32();
        ByteWriter w = new ByteWriter().u32(count);
        for (int i = 0; i < count; i++) {
            int flags = in.u32();
            w.u32(flags);
            switch (flags) {
                case 0 -> w.bytes(constExpr(in));
                case 1 -> w.u8(in.u8());
                case 2 -> {
                    w.u32(in.u32());
                    w.bytes(constExpr(in));
                    w.u8(in.u8());
                }
                case 3 -> w.u8(in.u8());
                default -> throw new MalformedModuleException("element segment encoding " + flags + " not supported");
            }
            int n = in.u32();
            w.u32(n);
            for (int k = 0; k < n; k++) {
                w.u32(remap[in.u32()]);
            }
        }
        return w.toByteArray();
    }

    /** An MVP constant expression: one const/global.get instruction then end. */
    private static byte[] constExpr(ByteReader in) {
        int start = in.position();
        int op = in.u8();
        switch (op) {
            case 0x41, 0x42, 0x23 -> in.skipLeb();
            case 0x43 -> in.skip(4);
            case 0x44 -> in.skip(8);
            default -> throw new MalformedModuleException("unsupported constant expression opcode 0x" + Integer.toHexString(op));
        }
        if (in.u8() != 0x0B) {
            throw new MalformedModuleException("constant expression longer than one instruction");
        }
        return in.slice(start);
    }

    private static byte[] rewriteCode(byte[] payload, int[] remap, List<WasmSections.Import> removed, int clockFunc,
            List<FuncType> types) {
        ByteReader in = new ByteReader(payload);
        int count = in.u32();
        ByteWriter w = new ByteWriter().u32(count + removed.size());
        for (int i = 0; i < count; i++) {
            int size = in.u32();
            w.sized(CodeRewriter.rewriteBody(payload, in.position(), size, remap));
            in.skip(size);
        }
        for (WasmSections.Import imp : removed) {
            w.sized(replacementBody(imp, clockFunc, types.get(imp.typeIndex())));
        }
        return w.toByteArray();
    }

    private static byte[] replacementBody(WasmSections.Import imp, int clockFunc, FuncType type) {
        ByteWriter b = new ByteWriter();
        switch (imp.name()) {
            case "logString", "logInt" -> {
                if (type.results().length != 0) {
                    throw new MalformedModuleException("teavm." + imp.name() + " unexpectedly returns a value");
                }
                b.u32(0).u8(0x0B);
            }
            case "logOutOfMemory" -> b.u32(0).u8(0x00).u8(0x0B);
            case "currentTimeMillis" -> {
                if (!Arrays.equals(type.results(), new byte[] {0x7C}) || type.params().length != 0) {
                    throw new MalformedModuleException("teavm.currentTimeMillis has an unexpected signature");
                }
                // locals: 2 x i64 (saved bytes, nanoseconds)
                b.u32(1).u32(2).u8(0x7E);
                b.u8(0x41).s32(TIME_SCRATCH).u8(0x29).u32(3).u32(0).u8(0x21).u32(0); // saved = load64(scratch)
                b.u8(0x41).s32(TIME_SCRATCH).u8(0x10).u32(clockFunc).u8(0x1A);      // drop(clock(scratch))
                b.u8(0x41).s32(TIME_SCRATCH).u8(0x29).u32(3).u32(0).u8(0x21).u32(1); // nanos = load64(scratch)
                b.u8(0x41).s32(TIME_SCRATCH).u8(0x20).u32(0).u8(0x37).u32(3).u32(0); // store64(scratch, saved)
                b.u8(0x20).u32(1).u8(0x42).s64(1_000_000L).u8(0x80).u8(0xBA);     // f64.convert_i64_u(nanos / 1e6)
                b.u8(0x0B);
            }
            default -> throw new MalformedModuleException("unknown TeaVM import teavm." + imp.name());
        }
        return b.toByteArray();
    }

    /** A function type of the type section. */
    record FuncType(byte[] params, byte[] results) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FuncType t && Arrays.equals(params, t.params) && Arrays.equals(results, t.results);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(params) + Arrays.hashCode(results);
        }

        static List<FuncType> parseAll(byte[] payload) {
            List<FuncType> out = new ArrayList<>();
            if (payload == null) {
                return out;
            }
            ByteReader in = new ByteReader(payload);
            int count = in.u32();
            for (int i = 0; i < count; i++) {
                if (in.u8() != 0x60) {
                    throw new MalformedModuleException("type " + i + " is not a function type");
                }
                byte[] params = in.bytes(in.u32());
                byte[] results = in.bytes(in.u32());
                out.add(new FuncType(params, results));
            }
            return out;
        }

        static byte[] encodeAll(List<FuncType> types) {
            ByteWriter w = new ByteWriter().u32(types.size());
            for (FuncType t : types) {
                w.u8(0x60).sized(t.params()).sized(t.results());
            }
            return w.toByteArray();
        }
    }
}
