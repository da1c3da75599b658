package io.meshfed.wasm.sdk;

/**
 * One per plugin configuration in a VM: parses the configuration and creates a stream context for every
 * HTTP request. Called on the VM's single thread only.
 */
public abstract class RootContext {
    protected final Host host;

    protected RootContext(Host host) {
        this.host = host;
    }

    /**
     * Applies the plugin configuration. Return false (after logging why) to reject it; the proxy then
     * refuses the plugin. Exceptions are caught at the ABI boundary and treated as a rejection.
     */
    public abstract boolean onConfigure(byte[] configuration);

    public abstract HttpContext newHttpContext(int contextId);

    public void onTick() {}
}
