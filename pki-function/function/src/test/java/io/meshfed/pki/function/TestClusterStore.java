package io.meshfed.pki.function;

import io.meshfed.pki.signing.CallerAuthenticator;
import io.meshfed.pki.testing.InMemoryClusterStore;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.store.ClusterStore;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Replaces the production ClusterStore with the in-memory test double (cluster "east" is registered), and the
 * workload API servers that review agents' tokens with a scripted one that knows {@link TestPki#AGENT_TOKEN}. The
 * authenticator itself is the production one; TokenReviewRealApiServerTest runs it against real API servers.
 */
public class TestClusterStore {
    static final String TRUST_DOMAIN = "east.example.org";

    @Produces
    @Singleton
    ClusterStore clusters() {
        return new InMemoryClusterStore().register("east", TRUST_DOMAIN);
    }

    @Produces
    @Singleton
    CallerAuthenticator authenticator(ClusterStore clusters) {
        return TestPki.authenticator(clusters, TestPki.apiServersKnowingTheAgent());
    }
}
