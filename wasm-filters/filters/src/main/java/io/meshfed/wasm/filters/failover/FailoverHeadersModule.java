package io.meshfed.wasm.filters.failover;

import io.meshfed.wasm.sdk.ProxyWasm;

/** Entry point of failover-headers.wasm. */
public final class FailoverHeadersModule {
    private FailoverHeadersModule() {}

    public static void main(String[] args) {
        ProxyWasm.register(FailoverHeadersFilter::new);
    }
}
