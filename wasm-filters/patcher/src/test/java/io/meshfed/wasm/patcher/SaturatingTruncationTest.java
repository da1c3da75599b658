package io.meshfed.wasm.patcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The eight trapping truncations, each in its own exported function, before and after the rewrite, run in
 * Chicory against Java's own casts.
 */
class SaturatingTruncationTest {
    static final String[] NAMES = {"i32_f32_s", "i32_f32_u", "i32_f64_s", "i32_f64_u", "i64_f32_s", "i64_f32_u",
        "i64_f64_s", "i64_f64_u"};
    static final int[] OPCODES = {0xA8, 0xA9, 0xAA, 0xAB, 0xAE, 0xAF, 0xB0, 0xB1};

    static final double[] VALUES = {0.0, -0.0, 1.5, -1.5, 2147483647.0, 2147483648.0, -2147483648.0,
        -2147483649.0, 4294967296.0, 9.223372036854775807E18, 9.223372036854775808E18, -9.223372036854775808E18,
        1.8446744073709552E19, 1e19, -1e19, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
        Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE};

    /** One function per truncation: (f32 or f64) -> (i32 or i64), body {@code local.get 0; trunc; end}. */
    static byte[] truncations() {
        ByteWriter types = new ByteWriter().u32(4);
        types.u8(0x60).u32(1).u8(0x7D).u32(1).u8(0x7F); // 0: f32 -> i32
        types.u8(0x60).u32(1).u8(0x7C).u32(1).u8(0x7F); // 1: f64 -> i32
        types.u8(0x60).u32(1).u8(0x7D).u32(1).u8(0x7E); // 2: f32 -> i64
        types.u8(0x60).u32(1).u8(0x7C).u32(1).u8(0x7E); // 3: f64 -> i64
        int[] typeOf = {0, 0, 1, 1, 2, 2, 3, 3};
        ByteWriter functions = new ByteWriter().u32(8);
        ByteWriter exports = new ByteWriter().u32(8);
        ByteWriter code = new ByteWriter().u32(8);
        for (int i = 0; i < 8; i++) {
            functions.u32(typeOf[i]);
            exports.name(NAMES[i]).u8(0).u32(i);
            code.sized(new ByteWriter().u32(0).u8(0x20).u32(0).u8(OPCODES[i]).u8(0x0B).toByteArray());
        }
        List<WasmSections.Section> s = new ArrayList<>();
        s.add(new WasmSections.Section(1, types.toByteArray()));
        s.add(new WasmSections.Section(3, functions.toByteArray()));
        s.add(new WasmSections.Section(7, exports.toByteArray()));
        s.add(new WasmSections.Section(10, code.toByteArray()));
        return WasmSections.assemble(s);
    }

    static long call(Instance instance, int fn, double v) {
        boolean f32 = fn == 0 || fn == 1 || fn == 4 || fn == 5;
        long arg = f32 ? Float.floatToRawIntBits((float) v) & 0xFFFFFFFFL : Double.doubleToRawLongBits(v);
        long r = instance.export(NAMES[fn]).apply(arg)[0];
        return fn < 4 ? (int) r : r;
    }

    /** What the JVM computes for the signed forms; the unsigned forms saturate at 0 and 2^32-1 / 2^64-1. */
    static long expected(int fn, double v) {
        float f = (float) v;
        return switch (fn) {
            case 0 -> (int) f;
            case 2 -> (int) v;
            case 4 -> (long) f;
            case 6 -> (long) v;
            case 1, 3 -> {
                double d = fn == 1 ? f : v;
                yield Double.isNaN(d) || d <= 0 ? 0 : d >= 4294967295.0 ? -1 : (int) (long) d;
            }
            default -> {
                double d = fn == 5 ? f : v;
                if (Double.isNaN(d) || d <= 0) {
                    yield 0;
                }
                yield d >= 18446744073709551615.0 ? -1L : d >= 9.223372036854775807E18 ? (long) (d / 2) << 1 : (long) d;
            }
        };
    }

    @Test
    void everyTruncationComputesJavasResultAndNeverTraps() {
        byte[] raw = truncations();
        assertEquals(8, SaturatingTruncation.count(raw));
        Instance trapping = Instance.builder(Parser.parse(raw)).build();
        // The unpatched module traps where Java does not: this is what the rewrite is for.
        assertThrows(RuntimeException.class, () -> call(trapping, 6, 1e19));
        assertThrows(RuntimeException.class, () -> call(trapping, 2, Double.NaN));

        byte[] patched = SaturatingTruncation.rewrite(raw);
        assertEquals(0, SaturatingTruncation.count(patched));
        Instance saturating = Instance.builder(Parser.parse(patched)).build();
        for (int fn = 0; fn < 8; fn++) {
            for (double v : VALUES) {
                assertEquals(expected(fn, v), call(saturating, fn, v), NAMES[fn] + "(" + v + ")");
            }
        }
    }

    @Test
    void nanBecomesZeroAndOutOfRangeTheNearestBoundAsInJava() {
        Instance m = Instance.builder(Parser.parse(SaturatingTruncation.rewrite(truncations()))).build();
        assertEquals(0, call(m, 6, Double.NaN));
        assertEquals(Long.MAX_VALUE, call(m, 6, 1e19));
        assertEquals(Long.MIN_VALUE, call(m, 6, Double.NEGATIVE_INFINITY));
        assertEquals(Integer.MAX_VALUE, call(m, 2, 2147483648.0));
        assertEquals(0, call(m, 2, -0.0));
    }

    @Test
    void aModuleWithoutTrappingTruncationsIsLeftAlone() {
        byte[] once = SaturatingTruncation.rewrite(truncations());
        assertSame(once, SaturatingTruncation.rewrite(once));
    }

    @Test
    void thePolicyRefusesTrappingTruncations() {
        List<String> v = ProxyWasmImportPolicy.violations(truncations());
        assertTrue(v.stream().anyMatch(s -> s.startsWith("has 8 trapping float-to-integer truncations")), v::toString);
    }
}
