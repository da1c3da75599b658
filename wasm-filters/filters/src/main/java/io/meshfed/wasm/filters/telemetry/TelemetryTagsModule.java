package io.meshfed.wasm.filters.telemetry;

import io.meshfed.wasm.sdk.ProxyWasm;

/** Entry point of telemetry-tags.wasm. */
public final class TelemetryTagsModule {
    private TelemetryTagsModule() {}

    public static void main(String[] args) {
        ProxyWasm.register(TelemetryTagsFilter::new);
    }
}
