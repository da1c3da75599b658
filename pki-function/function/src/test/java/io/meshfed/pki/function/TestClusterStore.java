package io.meshfed.pki.function;

import io.meshfed.pki.testing.InMemoryClusterStore;
import io.meshfed.store.ClusterStore;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Replaces the production ClusterStore with the in-memory test double: cluster "east" is registered. */
public class TestClusterStore {
    static final String TRUST_DOMAIN = "east.example.org";

    @Produces
    @Singleton
    ClusterStore clusters() {
        return new InMemoryClusterStore().register("east", TRUST_DOMAIN);
    }
}
