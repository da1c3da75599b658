package io.meshfed.wasm.patcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Build step: {@code PatcherMain <raw-dir> <out-dir> [max-bytes]}. Every {@code *.wasm} in raw-dir is
 * rewritten ({@link TeavmImportRewriter}), given Java's cast semantics ({@link SaturatingTruncation}), shrunk
 * ({@link ZeroRunStripper}), checked ({@link ProxyWasmImportPolicy}) and written to out-dir.
 * Exits non-zero (failing {@code mvn package}) naming each module that breaks a rule; writes nothing for it.
 */
public final class PatcherMain {
    /** Size target for one filter module. */
    public static final int DEFAULT_MAX_BYTES = 128 * 1024;

    private PatcherMain() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: PatcherMain <raw-dir> <out-dir> [max-bytes]");
        }
        Path rawDir = Path.of(args[0]);
        Path outDir = Path.of(args[1]);
        int maxBytes = args.length > 2 ? Integer.parseInt(args[2]) : DEFAULT_MAX_BYTES;
        List<Path> modules;
        try (Stream<Path> s = Files.list(rawDir)) {
            modules = s.filter(p -> p.getFileName().toString().endsWith(".wasm")).sorted().toList();
        }
        if (modules.isEmpty()) {
            throw new IllegalStateException("no .wasm modules in " + rawDir);
        }
        Files.createDirectories(outDir);
        List<String> failures = new ArrayList<>();
        for (Path raw : modules) {
            String name = raw.getFileName().toString();
            byte[] input = Files.readAllBytes(raw);
            byte[] patched;
            try {
                patched = ZeroRunStripper.strip(SaturatingTruncation.rewrite(TeavmImportRewriter.rewrite(input)));
                ProxyWasmImportPolicy.check(name, patched);
            } catch (MalformedModuleException | ImportPolicyViolationException e) {
                failures.add(name + ": " + e.getMessage());
                continue;
            }
            if (patched.length > maxBytes) {
                failures.add(name + ": " + patched.length + " bytes exceeds the " + maxBytes + "-byte limit");
                continue;
            }
            Files.write(outDir.resolve(name), patched);
            System.out.printf("[wasm] %s: %d bytes (TeaVM output %d, %d truncations made saturating), imports only env.proxy_* / wasi%n",
                    name, patched.length, input.length, SaturatingTruncation.count(input));
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("Wasm modules rejected:\n  " + String.join("\n  ", failures));
        }
    }
}
