package io.meshfed.wasm.patcher;

import java.util.List;

/** A module imports or lacks something that makes it unloadable in a proxy-wasm (ABI 0.2.1) host. */
public final class ImportPolicyViolationException extends RuntimeException {
    private final List<String> violations;

    public ImportPolicyViolationException(String module, List<String> violations) {
        super(module + ": " + String.join("; ", violations));
        this.violations = List.copyOf(violations);
    }

    public List<String> violations() {
        return violations;
    }
}
