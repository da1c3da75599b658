package io.meshfed.wasm.host;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A built filter module, read unmodified from the filter-modules jar ({@code wasm/<name>.wasm}), parsed
 * by Chicory, with its compiled machine factory created once and shared (compilation takes seconds).
 */
public enum FilterModule {
    FAILOVER_HEADERS("failover-headers"), RETRY_BUDGET("retry-budget"), TELEMETRY_TAGS("telemetry-tags"),
    /** Test fixture exercising every SDK host call; not deployed. */
    SDK_CONFORMANCE("sdk-conformance"),
    /** failover-headers written with the proxy-wasm Go SDK (wasm-filters/go-peer); a test and benchmark peer. */
    FAILOVER_HEADERS_GO("failover-headers-go");

    /** How the module runs in Chicory. */
    public enum Mode { COMPILER, INTERPRETER }

    private static final Map<FilterModule, Function<Instance, Machine>> COMPILED = new ConcurrentHashMap<>();
    private static final Map<FilterModule, WasmModule> PARSED = new ConcurrentHashMap<>();

    public final String fileName;

    FilterModule(String name) {
        this.fileName = name + ".wasm";
    }

    /**
     * The module from the filter-modules jar, or from directory {@code -Dwasm.modules.dir} when set (to run
     * the same tests against another build of the modules, such as an older one for comparison).
     */
    public byte[] bytes() {
        String dir = System.getProperty("wasm.modules.dir", "");
        if (!dir.isEmpty()) {
            try {
                return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(dir, fileName));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (InputStream in = FilterModule.class.getClassLoader().getResourceAsStream("wasm/" + fileName)) {
            if (in == null) {
                throw new IllegalStateException("wasm/" + fileName + " is not on the classpath; build wasm-filters/filters");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public WasmModule parsed() {
        return PARSED.computeIfAbsent(this, m -> Parser.parse(m.bytes()));
    }

    /** {@code null} for the interpreter (the host's default). */
    public Function<Instance, Machine> machineFactory(Mode mode) {
        return mode == Mode.INTERPRETER ? null : COMPILED.computeIfAbsent(this, m -> MachineFactoryCompiler.compile(m.parsed()));
    }
}
