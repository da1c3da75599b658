package io.meshfed.wasm.sdk;

/** One HTTP request/response exchange. Called on the VM's single thread only. */
public abstract class HttpContext {
    protected final Host host;

    protected HttpContext(Host host) {
        this.host = host;
    }

    public Action onRequestHeaders(int headerCount, boolean endOfStream) {
        return Action.CONTINUE;
    }

    public Action onResponseHeaders(int headerCount, boolean endOfStream) {
        return Action.CONTINUE;
    }

    /** The exchange is over (access-log time): record per-request metrics here. */
    public void onLog() {}

    public void onDone() {}
}
