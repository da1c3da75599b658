package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.types.ExternalType;
import io.meshfed.wasm.patcher.PatcherMain;
import io.meshfed.wasm.patcher.ProxyWasmImportPolicy;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The modules as shipped: only host-provided imports, the ABI exports, within the size target. The Go peer of
 * failover-headers is a test and benchmark peer, not shipped, and not held to these.
 */
class BuiltModulesTest {
    @ParameterizedTest
    @EnumSource(value = FilterModule.class, names = "FAILOVER_HEADERS_GO", mode = EnumSource.Mode.EXCLUDE)
    void importsOnlyWhatAProxyWasmHostProvides(FilterModule module) {
        byte[] wasm = module.bytes();
        assertEquals(List.of(), ProxyWasmImportPolicy.violations(wasm));
        var imports = module.parsed().importSection();
        for (int i = 0; i < imports.importCount(); i++) {
            var imp = imports.getImport(i);
            assertEquals(ExternalType.FUNCTION, imp.importType());
            boolean env = imp.module().equals("env") && ProxyWasmImportPolicy.ABI_0_2_1_HOST_FUNCTIONS.contains(imp.name());
            boolean wasi = imp.module().equals("wasi_snapshot_preview1");
            assertTrue(env || wasi, imp.module() + "." + imp.name());
        }
    }

    @ParameterizedTest
    @EnumSource(value = FilterModule.class, names = "FAILOVER_HEADERS_GO", mode = EnumSource.Mode.EXCLUDE)
    void fitsTheSizeTarget(FilterModule module) {
        assertTrue(module.bytes().length <= PatcherMain.DEFAULT_MAX_BYTES, module + ": " + module.bytes().length);
    }
}
