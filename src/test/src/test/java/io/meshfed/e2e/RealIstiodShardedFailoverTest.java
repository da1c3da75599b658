package io.meshfed.e2e;

import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.Peers;

/**
 * {@link RealIstiodProxylessFailoverTest}'s failover with east's real istiod reading meshfed's resources over three
 * sharded config sources ({@code xds://127.0.3.1} ... {@code 127.0.3.3}, each through its own relay): istiod merges
 * the three shares and the proxyless client still answers from east first, fails over to west when east's pod is not
 * ready, and comes back. The default Istio version; {@link RealIstiodOlderShardedFailoverTest} runs the other.
 */
class RealIstiodShardedFailoverTest extends RealIstiodProxylessFailoverTest {

    Peers.IstioVersion version() {
        return Peers.get().istio();
    }

    @Override
    Istiod startIstiod(RealFleet fleet) throws Exception {
        return fleet.startShardedIstiod("east", version(), 3, PROXYLESS_ENV);
    }

}
