package io.meshfed.wasm.patcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rewrites a hand-assembled module shaped like TeaVM's output, then runs it in Chicory. */
class TeavmImportRewriterTest {
    static final byte[] SENTINEL = {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};

    /**
     * Imports teavm.logString, env.proxy_log, teavm.currentTimeMillis, teavm.logOutOfMemory; defines
     * now() (logs, calls proxy_log, returns currentTimeMillis as i64), oom() and a table entry for now.
     */
    static byte[] teavmShapedModule() {
        ByteWriter types = new ByteWriter().u32(5);
        types.u8(0x60).u32(0).u32(1).u8(0x7C);                     // 0: () -> f64
        types.u8(0x60).u32(1).u8(0x7F).u32(0);                     // 1: (i32) -> ()
        types.u8(0x60).u32(0).u32(1).u8(0x7E);                     // 2: () -> i64
        types.u8(0x60).u32(3).u8(0x7F).u8(0x7F).u8(0x7F).u32(1).u8(0x7F); // 3: (i32,i32,i32) -> i32
        types.u8(0x60).u32(0).u32(0);                              // 4: () -> ()
        ByteWriter imports = new ByteWriter().u32(4);
        imports.name("teavm").name("logString").u8(0).u32(1);
        imports.name("env").name("proxy_log").u8(0).u32(3);
        imports.name("teavm").name("currentTimeMillis").u8(0).u32(0);
        imports.name("teavm").name("logOutOfMemory").u8(0).u32(4);
        ByteWriter functions = new ByteWriter().u32(2).u32(2).u32(4);
        ByteWriter table = new ByteWriter().u32(1).u8(0x70).u8(0).u32(1);
        ByteWriter memory = new ByteWriter().u32(1).u8(0).u32(1);
        ByteWriter exports = new ByteWriter().u32(3);
        exports.name("now").u8(0).u32(4);
        exports.name("oom").u8(0).u32(5);
        exports.name("memory").u8(2).u32(0);
        ByteWriter elements = new ByteWriter().u32(1).u32(0).u8(0x41).s32(0).u8(0x0B).u32(1).u32(4);
        ByteWriter now = new ByteWriter().u32(0);
        now.u8(0x41).s32(7).u8(0x10).u32(0);                                  // logString(7)
        now.u8(0x41).s32(0).u8(0x41).s32(0).u8(0x41).s32(0).u8(0x10).u32(1).u8(0x1A); // drop(proxy_log(0,0,0))
        now.u8(0x10).u32(2).u8(0xB1).u8(0x0B);                                // i64.trunc_f64_u(currentTimeMillis())
        ByteWriter oom = new ByteWriter().u32(0).u8(0x10).u32(3).u8(0x0B);
        ByteWriter code = new ByteWriter().u32(2).sized(now.toByteArray()).sized(oom.toByteArray());
        byte[] zeros = new byte[64];
        ByteWriter dataBytes = new ByteWriter().bytes(SENTINEL).bytes(zeros).bytes(new byte[] {1, 2, 3}).bytes(zeros);
        ByteWriter data = new ByteWriter().u32(1).u32(0).u8(0x41).s32(8).u8(0x0B).sized(dataBytes.toByteArray());
        List<WasmSections.Section> s = new ArrayList<>();
        s.add(new WasmSections.Section(1, types.toByteArray()));
        s.add(new WasmSections.Section(2, imports.toByteArray()));
        s.add(new WasmSections.Section(3, functions.toByteArray()));
        s.add(new WasmSections.Section(4, table.toByteArray()));
        s.add(new WasmSections.Section(5, memory.toByteArray()));
        s.add(new WasmSections.Section(7, exports.toByteArray()));
        s.add(new WasmSections.Section(9, elements.toByteArray()));
        s.add(new WasmSections.Section(10, code.toByteArray()));
        s.add(new WasmSections.Section(11, data.toByteArray()));
        s.add(new WasmSections.Section(0, new ByteWriter().name("name").bytes(new byte[] {1, 2}).toByteArray()));
        return WasmSections.assemble(s);
    }

    static Instance instantiate(byte[] module, List<String> calls) {
        HostFunction clock = new HostFunction("env", "proxy_get_current_time_nanoseconds",
                FunctionType.of(List.of(ValType.I32), List.of(ValType.I32)), (inst, args) -> {
                    calls.add("clock");
                    inst.memory().writeLong((int) args[0], 1_234_567_890_123L);
                    return new long[] {0};
                });
        HostFunction log = new HostFunction("env", "proxy_log",
                FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32)), (inst, args) -> {
                    calls.add("log");
                    return new long[] {0};
                });
        return Instance.builder(Parser.parse(module))
                .withImportValues(ImportValues.builder().addFunction(log, clock).build()).build();
    }

    @Test
    void rewrittenModuleLinksAndBehaves() {
        byte[] patched = ZeroRunStripper.strip(TeavmImportRewriter.rewrite(teavmShapedModule()));
        var imports = WasmSections.parse(patched).imports();
        assertEquals(List.of("env.proxy_log", "env.proxy_get_current_time_nanoseconds"),
                imports.stream().map(WasmSections.Import::qualifiedName).toList());
        List<String> calls = new ArrayList<>();
        Instance instance = instantiate(patched, calls);
        assertEquals(1_234_567L, instance.export("now").apply()[0]);
        assertEquals(List.of("log", "clock"), calls);
        // The clock's scratch bytes are restored, and the data image survived zero-run stripping.
        assertArrayEquals(SENTINEL, instance.memory().readBytes(8, 8));
        assertArrayEquals(new byte[] {1, 2, 3}, instance.memory().readBytes(8 + 8 + 64, 3));
        assertThrows(RuntimeException.class, () -> instance.export("oom").apply());
    }

    @Test
    void strippingZeroRunsShrinksDataButKeepsTheImage() {
        byte[] patched = TeavmImportRewriter.rewrite(teavmShapedModule());
        byte[] stripped = ZeroRunStripper.strip(patched);
        assertTrue(stripped.length < patched.length - 100, patched.length + " -> " + stripped.length);
        Instance a = instantiate(patched, new ArrayList<>());
        Instance b = instantiate(stripped, new ArrayList<>());
        assertArrayEquals(a.memory().readBytes(0, 4096), b.memory().readBytes(0, 4096));
    }

    @Test
    void policyNamesEveryViolation() {
        byte[] raw = teavmShapedModule();
        List<String> v = ProxyWasmImportPolicy.violations(raw);
        assertEquals(List.of(
                "imports teavm.logString from module 'teavm' (only env.proxy_* and wasi_snapshot_preview1.* are provided)",
                "imports teavm.currentTimeMillis from module 'teavm' (only env.proxy_* and wasi_snapshot_preview1.* are provided)",
                "imports teavm.logOutOfMemory from module 'teavm' (only env.proxy_* and wasi_snapshot_preview1.* are provided)",
                "does not export proxy_abi_version_0_2_1",
                "does not export proxy_on_memory_allocate",
                "does not export proxy_on_context_create",
                "has 1 trapping float-to-integer truncations (Java casts never trap; run SaturatingTruncation)"), v);
        assertThrows(ImportPolicyViolationException.class, () -> ProxyWasmImportPolicy.check("m.wasm", raw));
    }

    @Test
    void unknownTeavmImportsAndGarbageFailLoudly() {
        assertThrows(MalformedModuleException.class, () -> TeavmImportRewriter.rewrite(new byte[] {1, 2, 3}));
        // A same-length rename (logString -> logStrinX) keeps the binary well-formed.
        byte[] bad = new String(teavmShapedModule(), java.nio.charset.StandardCharsets.ISO_8859_1)
                .replace("logString", "logStrinX").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(assertThrows(MalformedModuleException.class, () -> TeavmImportRewriter.rewrite(bad))
                .getMessage().contains("teavm.logStrinX"));
    }
}
