package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a real istiod makes of meshfed's federation for an Envoy sidecar on another network: an ADS client posing
 * as a sidecar in east (us-east/us-east-a, network net-flat) asks east's istiod for CDS and EDS. south (network
 * net-south) exports {@code shop/orders} behind a gateway with an IP address; north (network net-north) exports
 * {@code shop/cart} behind a gateway known only by a DNS name, as cloud load balancers are. west (net-flat)
 * exports {@code demo/echo} beside east's own pod.
 * docs/real-peers.md records what istiod makes of each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class RealIstiodMultiNetworkTest {
    RealFleet fleet;
    Istiod istiod;
    Map<String, Cluster> clusters;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        fleet = RealFleet.withRemoteNetworks(dir, new FlatExample.Pod("10.1.0.7", 7070), new FlatExample.Pod("10.2.0.7", 7070));
        istiod = fleet.startIstiod("east", Peers.get().istio(), Map.of());
        try (SidecarAdsClient sidecar = new SidecarAdsClient(istiod.grpcPort(), "east", "net-flat", "us-east", "us-east-a")) {
            clusters = new LinkedHashMap<>();
            for (Any a : sidecar.request(SidecarAdsClient.CDS, List.of()).getResourcesList()) {
                Cluster c = a.unpack(Cluster.class);
                clusters.put(c.getName(), c);
            }
        }
    }

    @AfterAll
    void stop() {
        if (istiod != null) {
            istiod.close();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    Cluster cluster(String name) {
        Cluster c = clusters.get(name);
        if (c == null) {
            throw new AssertionError("istiod has no cluster " + name + "; it has " + clusters.keySet().stream()
                    .filter(n -> n.startsWith("outbound|")).toList());
        }
        return c;
    }

    static UpstreamTlsContext tls(Cluster c) throws InvalidProtocolBufferException {
        TransportSocket socket = c.hasTransportSocket() ? c.getTransportSocket()
                : c.getTransportSocketMatchesList().stream().filter(m -> m.getName().startsWith("tlsMode-istio"))
                        .findFirst().orElseThrow(() -> new AssertionError(c.getName() + " has no Istio mTLS socket"))
                        .getTransportSocket();
        return socket.getTypedConfig().unpack(UpstreamTlsContext.class);
    }

    /** Another network, gateway by IP: EDS to the gateway on 15443, in the remote locality, after the caller's own. */
    @Test
    void remoteServiceBehindAnIpGatewayIsTheGatewayOn15443WithIstioMutualTls() throws Exception {
        for (String host : List.of("orders.shop.svc.south.global", "orders.shop.svc.clusterset.local")) {
            String name = "outbound|9090||" + host;
            Cluster c = cluster(name);
            assertEquals(Cluster.DiscoveryType.EDS, c.getType(), host);
            assertTrue(c.hasOutlierDetection(), host + ": outlier detection, without which failover never triggers");
            UpstreamTlsContext tls = tls(c);
            assertEquals("outbound_.9090_._." + host, tls.getSni(), host + ": SNI that AUTO_PASSTHROUGH routes by");
            assertTrue(tls.getCommonTlsContext().getAlpnProtocolsList().contains("istio"), host + ": Istio mTLS ALPN");
            try (SidecarAdsClient sidecar = new SidecarAdsClient(istiod.grpcPort(), "east", "net-flat", "us-east", "us-east-a")) {
                sidecar.request(SidecarAdsClient.CDS, List.of());
                ClusterLoadAssignment la = sidecar.request(SidecarAdsClient.EDS, List.of(name)).getResources(0)
                        .unpack(ClusterLoadAssignment.class);
                // istiod numbers priorities from 0 over the localities that have endpoints: south's is the only one
                assertEquals(List.of(RealFleet.SOUTH_GATEWAY + ":15443 sa-south/sa-south-a p0"), endpointsWithPriority(la),
                        host + ": the gateway, in south's locality");
            }
        }
    }

    /** The gateway known by a DNS name: a DNS cluster dialing the gateway's name on 15443 with AUTO_PASSTHROUGH's SNI. */
    @Test
    void remoteServiceBehindADnsNamedGatewayIsAGatewayClusterWithIstioMutualTls() throws Exception {
        for (String host : List.of("cart.shop.svc.north.global", "cart.shop.svc.clusterset.local")) {
            Cluster c = cluster("outbound|8080||" + host);
            assertEquals(Cluster.DiscoveryType.STRICT_DNS, c.getType(), host + ": the gateway is resolved by DNS");
            ClusterLoadAssignment la = c.getLoadAssignment();
            List<String> endpoints = endpoints(la);
            assertEquals(List.of(RealFleet.NORTH_GATEWAY + ":15443 eu-north/eu-north-a"), endpoints, host);
            UpstreamTlsContext tls = tls(c);
            assertEquals("outbound_.8080_._." + host, tls.getSni(), host + ": SNI that AUTO_PASSTHROUGH routes by");
            assertTrue(tls.getCommonTlsContext().getAlpnProtocolsList().contains("istio"), host + ": Istio mTLS ALPN");
        }
    }

    /** A remote service on the caller's own network: EDS, the remote pod itself, in its locality at a lower priority. */
    @Test
    void sameNetworkRemoteEndpointsKeepTheirLocalityAndComeAfterTheCallersOwn() throws Exception {
        String name = "outbound|7070||echo.demo.svc.clusterset.local";
        Cluster c = cluster(name);
        assertEquals(Cluster.DiscoveryType.EDS, c.getType());
        assertTrue(c.hasOutlierDetection(), "outlier detection, without which locality failover never triggers");
        try (SidecarAdsClient sidecar = new SidecarAdsClient(istiod.grpcPort(), "east", "net-flat", "us-east", "us-east-a")) {
            sidecar.request(SidecarAdsClient.CDS, List.of());
            DiscoveryResponse eds = sidecar.request(SidecarAdsClient.EDS, List.of(name));
            ClusterLoadAssignment la = eds.getResources(0).unpack(ClusterLoadAssignment.class);
            assertEquals(List.of("10.1.0.7:7070 us-east/us-east-a p0", "10.2.0.7:7070 us-west/us-west-a p1"),
                    endpointsWithPriority(la), "own locality first, the other region after it");
        }
    }

    static List<String> endpoints(ClusterLoadAssignment la) {
        List<String> out = new ArrayList<>();
        for (LocalityLbEndpoints l : la.getEndpointsList()) {
            for (LbEndpoint e : l.getLbEndpointsList()) {
                SocketAddress a = e.getEndpoint().getAddress().getSocketAddress();
                out.add(a.getAddress() + ":" + a.getPortValue() + " " + l.getLocality().getRegion() + "/"
                        + l.getLocality().getZone());
            }
        }
        return out;
    }

    static List<String> endpointsWithPriority(ClusterLoadAssignment la) {
        List<String> out = new ArrayList<>();
        for (LocalityLbEndpoints l : la.getEndpointsList()) {
            for (LbEndpoint e : l.getLbEndpointsList()) {
                SocketAddress a = e.getEndpoint().getAddress().getSocketAddress();
                out.add(a.getAddress() + ":" + a.getPortValue() + " " + l.getLocality().getRegion() + "/"
                        + l.getLocality().getZone() + " p" + l.getPriority());
            }
        }
        out.sort(String::compareTo);
        return out;
    }
}
