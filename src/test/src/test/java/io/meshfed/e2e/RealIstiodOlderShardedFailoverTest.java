package io.meshfed.e2e;

import io.meshfed.testsupport.peers.Peers;

/**
 * {@link RealIstiodShardedFailoverTest} with the other Istio version the peers build (a class of its own: grpc-java
 * reads one xDS bootstrap per JVM).
 */
class RealIstiodOlderShardedFailoverTest extends RealIstiodShardedFailoverTest {
    @Override
    Peers.IstioVersion version() {
        Peers.IstioVersion def = Peers.get().istio();
        return Peers.get().istioVersions().stream().filter(v -> !v.key().equals(def.key())).findFirst()
                .orElseThrow(() -> new AssertionError("the peers build two Istio versions: " + Peers.get().istioVersions()));
    }
}
