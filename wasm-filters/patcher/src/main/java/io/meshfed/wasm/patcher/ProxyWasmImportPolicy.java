package io.meshfed.wasm.patcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a module may import and must export to load in Envoy and other proxy-wasm hosts: host functions of
 * ABI 0.2.1 from module {@code env}, and WASI preview 1 (which Envoy also provides). Anything else makes
 * the host refuse to link the module, so the build checks it instead of a proxy at deploy time. A module
 * must also hold no trapping float-to-integer truncation: a cast in Java never traps.
 */
public final class ProxyWasmImportPolicy {
    /** Host functions of proxy-wasm ABI 0.2.1 (spec abi-versions/v0.2.1, as Envoy implements them). */
    public static final Set<String> ABI_0_2_1_HOST_FUNCTIONS = Set.of(
            "proxy_log", "proxy_get_log_level", "proxy_get_current_time_nanoseconds",
            "proxy_set_tick_period_milliseconds", "proxy_get_configuration",
            "proxy_get_buffer_bytes", "proxy_set_buffer_bytes", "proxy_get_buffer_status",
            "proxy_get_header_map_pairs", "proxy_set_header_map_pairs", "proxy_get_header_map_value",
            "proxy_add_header_map_value", "proxy_replace_header_map_value", "proxy_remove_header_map_value",
            "proxy_get_header_map_size", "proxy_get_property", "proxy_set_property",
            "proxy_get_shared_data", "proxy_set_shared_data", "proxy_register_shared_queue",
            "proxy_resolve_shared_queue", "proxy_dequeue_shared_queue", "proxy_enqueue_shared_queue",
            "proxy_continue_stream", "proxy_close_stream", "proxy_continue_request", "proxy_continue_response",
            "proxy_send_local_response", "proxy_clear_route_cache", "proxy_http_call", "proxy_grpc_call",
            "proxy_grpc_stream", "proxy_grpc_send", "proxy_grpc_cancel", "proxy_grpc_close",
            "proxy_get_status", "proxy_set_effective_context", "proxy_call_foreign_function", "proxy_done",
            "proxy_define_metric", "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric");

    /** Exports a host looks for before it calls anything. */
    public static final List<String> REQUIRED_EXPORTS =
            List.of("proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_context_create", "memory");

    private ProxyWasmImportPolicy() {}

    /** Every reason {@code module} would not link in a proxy-wasm 0.2.1 host; empty when it would. */
    public static List<String> violations(byte[] module) {
        WasmSections sections = WasmSections.parse(module);
        List<String> out = new ArrayList<>();
        for (WasmSections.Import imp : sections.imports()) {
            if (imp.kind() != WasmSections.Import.FUNC) {
                out.add("imports a non-function " + imp.qualifiedName() + " (kind " + imp.kind() + ")");
            } else if (imp.module().equals("wasi_snapshot_preview1")) {
                continue;
            } else if (!imp.module().equals("env")) {
                out.add("imports " + imp.qualifiedName() + " from module '" + imp.module()
                        + "' (only env.proxy_* and wasi_snapshot_preview1.* are provided)");
            } else if (!ABI_0_2_1_HOST_FUNCTIONS.contains(imp.name())) {
                out.add("imports env." + imp.name() + ", not a proxy-wasm ABI 0.2.1 host function");
            }
        }
        Set<String> exported = new java.util.HashSet<>();
        sections.exports().forEach(e -> exported.add(e.name()));
        for (String required : REQUIRED_EXPORTS) {
            if (!exported.contains(required)) {
                out.add("does not export " + required);
            }
        }
        int trapping = SaturatingTruncation.count(module);
        if (trapping > 0) {
            out.add("has " + trapping + " trapping float-to-integer truncations (Java casts never trap; run "
                    + "SaturatingTruncation)");
        }
        return out;
    }

    /** Throws naming every problem, or returns quietly. */
    public static void check(String moduleName, byte[] module) {
        List<String> v = violations(module);
        if (!v.isEmpty()) {
            throw new ImportPolicyViolationException(moduleName, v);
        }
    }
}
