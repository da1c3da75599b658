package io.meshfed.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelJsonTest {
    static final MeshCluster EAST = new MeshCluster("east", "net-east", new Locality("us-east1", "us-east1-b"),
            new GatewayAddress("gw.east.example.org", 15443), "east.example.org", null);

    static <T> T roundTrip(T value, Class<T> type) throws Exception {
        return ModelJson.mapper().readValue(ModelJson.mapper().writeValueAsString(value), type);
    }

    @Test
    void everyRecordRoundTrips() throws Exception {
        assertEquals(EAST, roundTrip(EAST, MeshCluster.class));
        assertEquals(ClusterCredentials.ofToken("t"), roundTrip(ClusterCredentials.ofToken("t"), ClusterCredentials.class));
        var svc = new ExportedService("shop", "cart", List.of(new ServicePort("grpc", 9090, "grpc", 9090)),
                List.of(new ServiceEndpoint("10.1.0.2", EAST.locality(), true, Map.of("version", "v1"))));
        var catalog = ClusterCatalog.fresh(EAST, List.of(svc), 3, Instant.parse("2026-11-26T10:00:00Z"));
        assertEquals(catalog, roundTrip(catalog, ClusterCatalog.class));
        assertEquals("GRPC", svc.ports().get(0).protocol());
    }

    @Test
    void hashFollowsContentNotOrder() {
        var a = new ServiceEndpoint("10.1.0.2", EAST.locality(), true, Map.of("a", "1", "b", "2"));
        var b = new ServiceEndpoint("10.1.0.3", EAST.locality(), false, Map.of());
        var port = List.of(new ServicePort("http", 80, "HTTP", 8080));
        var one = new ExportedService("shop", "cart", port, List.of(a, b));
        var two = new ExportedService("shop", "cart", port, List.of(b, a));
        Instant t = Instant.EPOCH;
        assertEquals(ClusterCatalog.fresh(EAST, List.of(one), 1, t).contentHash(),
                ClusterCatalog.fresh(EAST, List.of(two), 9, t).contentHash());
        var changed = new ExportedService("shop", "cart", port, List.of(a, b.withReady(true)));
        assertNotEquals(ClusterCatalog.fresh(EAST, List.of(one), 1, t).contentHash(),
                ClusterCatalog.fresh(EAST, List.of(changed), 1, t).contentHash());
    }

    @Test
    void unknownFieldsAndBadValuesAreRefused() {
        assertThrows(Exception.class, () -> ModelJson.mapper().readValue(
                "{\"region\":\"us-east1\",\"colour\":\"red\"}", Locality.class));
        var e = assertThrows(InvalidSpecException.class, () -> new MeshCluster("East", "", null, null, "a/b", null));
        assertEquals(List.of("name", "network", "locality", "eastWestGateway", "trustDomain"),
                e.violations().stream().map(Violation::field).toList());
    }

    @Test
    void aValueIsReadOnlyFromItsOwnJsonType() throws Exception {
        var mapper = ModelJson.mapper();
        for (String wrong : List.of("{\"region\":123}", "{\"region\":1.5}", "{\"region\":true}")) {
            var e = assertThrows(com.fasterxml.jackson.databind.exc.MismatchedInputException.class,
                    () -> mapper.readValue(wrong, Locality.class), wrong);
            assertEquals("region", e.getPath().get(0).getFieldName());
        }
        for (String wrong : List.of("{\"address\":\"gw\",\"port\":\"15443\"}",
                "{\"address\":\"gw\",\"port\":15443.5}", "{\"address\":\"gw\",\"port\":true}")) {
            assertThrows(com.fasterxml.jackson.databind.exc.MismatchedInputException.class,
                    () -> mapper.readValue(wrong, GatewayAddress.class), wrong);
        }
        assertThrows(com.fasterxml.jackson.databind.exc.MismatchedInputException.class,
                () -> mapper.treeToValue(mapper.readTree("{\"region\":123}"), Locality.class), "from a tree too");
        assertEquals(new GatewayAddress("gw", 15443), mapper.readValue("{\"address\":\"gw\",\"port\":15443}",
                GatewayAddress.class));
        assertEquals(EAST, roundTrip(EAST, MeshCluster.class));
    }

    @Test
    void ruleEdges() {
        assertTrue(Rules.dns1123Label("a".repeat(63)).isEmpty());
        assertTrue(Rules.dns1123Label("a".repeat(64)).isPresent());
        assertTrue(Rules.ipOrDnsName("2001:db8::1").isEmpty());
        assertTrue(Rules.ipOrDnsName("256.1.1.1").isPresent());
        assertTrue(Rules.ipOrDnsName("gw-1.East.example.org").isEmpty());
        assertTrue(Rules.trustDomain("Cluster.Local").isPresent());
        assertTrue(Rules.httpsUrl("http://x").isPresent());
        assertTrue(Rules.port(0).isPresent() && Rules.port(65536).isPresent() && Rules.port(443).isEmpty());
        var stale = ClusterCatalog.fresh(EAST, List.of(), 1, Instant.EPOCH).markedStale(Instant.EPOCH);
        assertTrue(stale.staleBeyond(java.time.Duration.ofMinutes(5), Instant.EPOCH.plusSeconds(300)));
        assertTrue(!stale.staleBeyond(java.time.Duration.ofMinutes(5), Instant.EPOCH.plusSeconds(299)));
    }
}
