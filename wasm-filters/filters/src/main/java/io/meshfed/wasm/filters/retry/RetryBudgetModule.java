package io.meshfed.wasm.filters.retry;

import io.meshfed.wasm.sdk.ProxyWasm;

/** Entry point of retry-budget.wasm. */
public final class RetryBudgetModule {
    private RetryBudgetModule() {}

    public static void main(String[] args) {
        ProxyWasm.register(RetryBudgetFilter::new);
    }
}
