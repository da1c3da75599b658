package io.meshfed.wasm.sdk;

import org.teavm.interop.Export;

/**
 * The proxy-wasm ABI 0.2.1 entry points of a module, and the one boundary where filter failures become
 * protocol answers: an exception from a stream callback goes to the stream's {@code on...Failed} method
 * (where a filter fails closed), whose answer the proxy gets; an exception from configuration is a
 * rejected configuration; anything thrown after that is logged and becomes CONTINUE, never a trap. A
 * module's {@code main} calls {@link #register} once.
 *
 * <p>Single-threaded: a proxy-wasm VM never runs two callbacks at once.
 */
public final class ProxyWasm {
    private static RootContextFactory factory;
    private static final ContextMap<RootContext> ROOTS = new ContextMap<>();
    private static final ContextMap<HttpContext> STREAMS = new ContextMap<>();

    private ProxyWasm() {}

    /** Installs the module's filter. Call from {@code main}, which TeaVM runs before any export. */
    public static void register(RootContextFactory rootContextFactory) {
        factory = rootContextFactory;
    }

    @Export(name = "proxy_abi_version_0_2_1")
    public static void abiVersion() {}

    /** Serves host buffers from the arena only: allocating here could run the GC mid host call. */
    @Export(name = "proxy_on_memory_allocate")
    public static int onMemoryAllocate(int size) {
        return Arena.allocate(size);
    }

    @Export(name = "malloc")
    public static int malloc(int size) {
        return Arena.allocate(size);
    }

    @Export(name = "proxy_on_vm_start")
    public static int onVmStart(int rootContextId, int vmConfigurationSize) {
        return 1;
    }

    @Export(name = "proxy_on_context_create")
    public static void onContextCreate(int contextId, int parentContextId) {
        try {
            if (parentContextId == 0) {
                if (factory == null) {
                    WasmHost.INSTANCE.log(LogLevel.CRITICAL, "no filter registered: main() must call ProxyWasm.register");
                    return;
                }
                ROOTS.put(contextId, factory.create(WasmHost.INSTANCE));
            } else {
                RootContext root = ROOTS.get(parentContextId);
                if (root != null) {
                    STREAMS.put(contextId, root.newHttpContext(contextId));
                }
            }
        } catch (RuntimeException e) {
            fail("proxy_on_context_create", e);
        }
    }

    @Export(name = "proxy_on_configure")
    public static int onConfigure(int rootContextId, int configurationSize) {
        RootContext root = ROOTS.get(rootContextId);
        if (root == null) {
            return 0;
        }
        try {
            return root.onConfigure(WasmHost.INSTANCE.getPluginConfiguration(configurationSize)) ? 1 : 0;
        } catch (RuntimeException e) {
            fail("proxy_on_configure", e);
            return 0;
        }
    }

    @Export(name = "proxy_on_tick")
    public static void onTick(int rootContextId) {
        RootContext root = ROOTS.get(rootContextId);
        if (root != null) {
            try {
                root.onTick();
            } catch (RuntimeException e) {
                fail("proxy_on_tick", e);
            }
        }
    }

    @Export(name = "proxy_on_request_headers")
    public static int onRequestHeaders(int contextId, int headerCount, int endOfStream) {
        HttpContext http = STREAMS.get(contextId);
        if (http == null) {
            return Action.CONTINUE.ordinal();
        }
        try {
            return http.onRequestHeaders(headerCount, endOfStream != 0).ordinal();
        } catch (RuntimeException e) {
            try {
                return http.onRequestHeadersFailed(e).ordinal();
            } catch (RuntimeException again) {
                fail("proxy_on_request_headers", again);
                return Action.CONTINUE.ordinal();
            }
        }
    }

    @Export(name = "proxy_on_response_headers")
    public static int onResponseHeaders(int contextId, int headerCount, int endOfStream) {
        HttpContext http = STREAMS.get(contextId);
        if (http == null) {
            return Action.CONTINUE.ordinal();
        }
        try {
            return http.onResponseHeaders(headerCount, endOfStream != 0).ordinal();
        } catch (RuntimeException e) {
            try {
                return http.onResponseHeadersFailed(e).ordinal();
            } catch (RuntimeException again) {
                fail("proxy_on_response_headers", again);
                return Action.CONTINUE.ordinal();
            }
        }
    }

    @Export(name = "proxy_on_log")
    public static void onLog(int contextId) {
        HttpContext http = STREAMS.get(contextId);
        if (http != null) {
            try {
                http.onLog();
            } catch (RuntimeException e) {
                try {
                    http.onLogFailed(e);
                } catch (RuntimeException again) {
                    fail("proxy_on_log", again);
                }
            }
        }
    }

    @Export(name = "proxy_on_done")
    public static int onDone(int contextId) {
        HttpContext http = STREAMS.get(contextId);
        if (http != null) {
            try {
                http.onDone();
            } catch (RuntimeException e) {
                fail("proxy_on_done", e);
            }
        }
        return 1;
    }

    @Export(name = "proxy_on_delete")
    public static void onDelete(int contextId) {
        if (STREAMS.remove(contextId) == null) {
            ROOTS.remove(contextId);
        }
    }

    private static void fail(String callback, RuntimeException e) {
        try {
            WasmHost.INSTANCE.log(LogLevel.ERROR, callback + " failed: " + e.getMessage());
        } catch (RuntimeException ignored) {
            // Logging itself failed (arena exhausted?): nothing more can be reported without trapping.
        }
    }
}
