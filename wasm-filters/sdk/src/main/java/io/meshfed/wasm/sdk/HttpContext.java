package io.meshfed.wasm.sdk;

/**
 * One HTTP request/response exchange. Called on the VM's single thread only.
 *
 * <p>Failure contract: when a callback throws (a host call failed, the host handed over more than the
 * guest can take, a value could not be carried safely), {@link ProxyWasm} calls the matching
 * {@code on...Failed} method with the cause instead, and its answer is what the proxy gets. A filter
 * overrides them to fail closed; the defaults log the cause and let the stream continue.
 */
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

    /** {@link #onRequestHeaders} threw {@code cause}; whatever it changed before that may still be there. */
    public Action onRequestHeadersFailed(RuntimeException cause) {
        host.log(LogLevel.ERROR, "proxy_on_request_headers failed: " + cause.getMessage());
        return Action.CONTINUE;
    }

    /** {@link #onResponseHeaders} threw {@code cause}; whatever it changed before that may still be there. */
    public Action onResponseHeadersFailed(RuntimeException cause) {
        host.log(LogLevel.ERROR, "proxy_on_response_headers failed: " + cause.getMessage());
        return Action.CONTINUE;
    }

    /** {@link #onLog} threw {@code cause}. */
    public void onLogFailed(RuntimeException cause) {
        host.log(LogLevel.ERROR, "proxy_on_log failed: " + cause.getMessage());
    }
}
