package io.meshfed.wasm.sdk;

/** Creates a filter's root context; a module registers exactly one from its {@code main}. */
@FunctionalInterface
public interface RootContextFactory {
    RootContext create(Host host);
}
