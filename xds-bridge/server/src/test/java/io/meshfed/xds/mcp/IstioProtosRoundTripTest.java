package io.meshfed.xds.mcp;

import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import io.fabric8.istio.api.networking.v1.DestinationRule;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.meshfed.federation.FederationConfig;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.mcp.proto.mcp.Resource;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bundled Istio protos carry exactly what the fabric8 model holds: fabric8 spec to proto to JSON to fabric8
 * gives back an equal object, for the federation translator's real output and for hand-written specs that use
 * the oneofs, wrappers, durations, maps and enums of DestinationRule and Gateway.
 */
class IstioProtosRoundTripTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void translatorOutputRoundTrips() {
        Locality eastA = new Locality("us-east", "a");
        Locality westA = new Locality("us-west", "a");
        MeshCluster east = cluster("east", "net-east", eastA, "192.0.2.10", 15443);
        MeshCluster west = cluster("west", "net-west", westA, "192.0.2.20", 15443);
        FederationConfig config = new IstioFederationTranslator().translate(List.of(
                catalog(east, 1, grpcService("demo", "echo", 7070, 7070, endpoint("10.1.0.1", eastA, true))),
                catalog(west, 1, grpcService("demo", "echo", 7070, 7070, endpoint("10.2.0.1", westA, true)),
                        grpcService("shop", "cart", 8080, 8081, endpoint("10.2.0.2", westA, false)))),
                "east", Fixtures.T0);
        assertFalse(config.serviceEntries().isEmpty(), "the translator federates west's services into east");
        assertFalse(config.destinationRules().isEmpty());
        for (ServiceEntry se : config.serviceEntries()) {
            var proto = IstioProtos.toProto(se.getSpec(), io.meshfed.xds.mcp.proto.networking.ServiceEntry.newBuilder(), "se");
            assertEquals(se.getSpec(), IstioProtos.toFabric8((com.google.protobuf.Message) proto, se.getSpec().getClass()));
        }
        for (DestinationRule dr : config.destinationRules()) {
            var proto = IstioProtos.toProto(dr.getSpec(), io.meshfed.xds.mcp.proto.networking.DestinationRule.newBuilder(), "dr");
            assertEquals(dr.getSpec(), IstioProtos.toFabric8((com.google.protobuf.Message) proto, dr.getSpec().getClass()));
        }
    }

    @Test
    void destinationRuleWithEveryPolicyKindRoundTrips() throws Exception {
        var spec = JSON.readValue("""
                {"host": "cart.shop.svc.clusterset.local",
                 "trafficPolicy": {
                   "loadBalancer": {"consistentHash": {"httpHeaderName": "x-user"},
                                    "localityLbSetting": {"enabled": true, "failover": [{"from": "us-east", "to": "us-west"}],
                                                          "distribute": [{"from": "us-east/*", "to": {"us-east/*": 80, "us-west/*": 20}}]}},
                   "connectionPool": {"tcp": {"maxConnections": 100, "connectTimeout": "0.030s",
                                              "tcpKeepalive": {"time": "7200s", "interval": "75s"}},
                                      "http": {"http2MaxRequests": 1000, "maxRequestsPerConnection": 10,
                                               "h2UpgradePolicy": "UPGRADE"}},
                   "outlierDetection": {"consecutive5xxErrors": 7, "consecutiveGatewayErrors": 3, "interval": "300s",
                                        "baseEjectionTime": "900s", "maxEjectionPercent": 100},
                   "tls": {"mode": "ISTIO_MUTUAL", "sni": "cart.shop"},
                   "portLevelSettings": [{"port": {"number": 8080}, "loadBalancer": {"simple": "LEAST_REQUEST"}}]},
                 "subsets": [{"name": "v1", "labels": {"version": "v1"},
                              "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}}}],
                 "exportTo": ["*"]}
                """, io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule.class);
        var proto = IstioProtos.<io.meshfed.xds.mcp.proto.networking.DestinationRule>toProto(spec,
                io.meshfed.xds.mcp.proto.networking.DestinationRule.newBuilder(), "dr");
        assertEquals(7, proto.getTrafficPolicy().getOutlierDetection().getConsecutive5XxErrors().getValue());
        assertEquals("x-user", proto.getTrafficPolicy().getLoadBalancer().getConsistentHash().getHttpHeaderName());
        assertEquals(spec, IstioProtos.toFabric8(proto, spec.getClass()));
    }

    @Test
    void goDurationsBecomeProtoDurations() throws Exception {
        var spec = JSON.readValue("""
                {"host": "a.b", "trafficPolicy": {
                   "connectionPool": {"tcp": {"connectTimeout": "30ms", "tcpKeepalive": {"time": "2h", "interval": "75s"}}},
                   "outlierDetection": {"interval": "1m30s", "baseEjectionTime": "0.5s"}}}
                """, io.fabric8.istio.api.api.networking.v1alpha3.DestinationRule.class);
        var proto = IstioProtos.<io.meshfed.xds.mcp.proto.networking.DestinationRule>toProto(spec,
                io.meshfed.xds.mcp.proto.networking.DestinationRule.newBuilder(), "dr");
        var tcp = proto.getTrafficPolicy().getConnectionPool().getTcp();
        assertEquals(30_000_000, tcp.getConnectTimeout().getNanos());
        assertEquals(7200, tcp.getTcpKeepalive().getTime().getSeconds());
        assertEquals(90, proto.getTrafficPolicy().getOutlierDetection().getInterval().getSeconds());
        assertEquals(500_000_000, proto.getTrafficPolicy().getOutlierDetection().getBaseEjectionTime().getNanos());
    }

    @Test
    void eastWestGatewayRoundTrips() throws Exception {
        var spec = JSON.readValue("""
                {"selector": {"istio": "eastwestgateway"},
                 "servers": [{"port": {"number": 15443, "name": "tls", "protocol": "TLS"},
                              "tls": {"mode": "AUTO_PASSTHROUGH"}, "hosts": ["*.local"]}]}
                """, io.fabric8.istio.api.api.networking.v1alpha3.Gateway.class);
        var proto = IstioProtos.<io.meshfed.xds.mcp.proto.networking.Gateway>toProto(spec,
                io.meshfed.xds.mcp.proto.networking.Gateway.newBuilder(), "gw");
        assertEquals(io.meshfed.xds.mcp.proto.networking.ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH,
                proto.getServers(0).getTls().getMode());
        assertEquals(spec, IstioProtos.toFabric8(proto, spec.getClass()));
    }

    @Test
    void wireFormatUsesIstiosFieldNumbers() {
        var se = io.meshfed.xds.mcp.proto.networking.ServiceEntry.newBuilder()
                .setLocation(io.meshfed.xds.mcp.proto.networking.ServiceEntry.Location.MESH_INTERNAL).build();
        // field 4 (location), varint: tag (4 << 3 | 0) = 0x20, value 1
        assertEquals(List.of((byte) 0x20, (byte) 0x01), List.of(se.toByteArray()[0], se.toByteArray()[1]));
        var outlier = io.meshfed.xds.mcp.proto.networking.OutlierDetection.newBuilder()
                .setConsecutive5XxErrors(com.google.protobuf.UInt32Value.of(5)).build();
        // field 7 (consecutive_5xx_errors), length-delimited: tag (7 << 3 | 2) = 0x3a
        assertEquals((byte) 0x3a, outlier.toByteArray()[0]);
    }

    @Test
    void mcpResourceNamesNamespaceSlashNameAndVersionsByContent() throws Exception {
        ServiceEntry se = JSON.readValue("""
                {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
                 "metadata": {"namespace": "demo", "name": "echo-west", "labels": {"meshfed.io/cluster": "west"}},
                 "spec": {"hosts": ["echo.demo.svc.clusterset.local"], "location": "MESH_INTERNAL", "resolution": "STATIC"}}
                """, ServiceEntry.class);
        var body = IstioProtos.<io.meshfed.xds.mcp.proto.networking.ServiceEntry>toProto(se.getSpec(),
                io.meshfed.xds.mcp.proto.networking.ServiceEntry.newBuilder(), "se");
        Resource r = IstioProtos.mcpResource(se, body);
        assertEquals("demo/echo-west", r.getMetadata().getName());
        assertEquals("west", r.getMetadata().getLabelsMap().get("meshfed.io/cluster"));
        assertEquals("type.googleapis.com/istio.networking.v1alpha3.ServiceEntry", r.getBody().getTypeUrl());
        assertEquals(body, r.getBody().unpack(io.meshfed.xds.mcp.proto.networking.ServiceEntry.class));
        assertEquals(r.getMetadata().getVersion(), IstioProtos.mcpResource(se, body).getMetadata().getVersion());
        assertTrue(Any.pack(r).getTypeUrl().endsWith("istio.mcp.v1alpha1.Resource"));
    }

    @Test
    void aFieldTheProtosDoNotKnowIsAnErrorNamingTheResource() throws Exception {
        var spec = JSON.readValue("""
                {"hosts": ["a.b"], "location": "MESH_INTERNAL", "someFutureField": true}
                """, io.fabric8.istio.api.api.networking.v1alpha3.ServiceEntry.class);
        InvalidIstioResourceException e = assertThrows(InvalidIstioResourceException.class, () -> IstioProtos.toProto(
                spec, io.meshfed.xds.mcp.proto.networking.ServiceEntry.newBuilder(), "ServiceEntry demo/a"));
        assertTrue(e.getMessage().contains("ServiceEntry demo/a") && e.getMessage().contains("someFutureField"),
                e.getMessage());
    }
}
