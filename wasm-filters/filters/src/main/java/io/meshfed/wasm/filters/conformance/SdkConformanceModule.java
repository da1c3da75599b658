package io.meshfed.wasm.filters.conformance;

import io.meshfed.wasm.sdk.ProxyWasm;

/** Entry point of sdk-conformance.wasm, a test fixture for the SDK (not deployed). */
public final class SdkConformanceModule {
    private SdkConformanceModule() {}

    public static void main(String[] args) {
        ProxyWasm.register(SdkConformanceFilter::new);
    }
}
