package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files local mode runs from: the Knative Trigger manifests and the example cluster directories. */
class LocalModeFilesTest {
    static final Path TRIGGERS = Path.of("../knative/manifests/eventing/triggers");

    static List<String> services(TriggerTable table, String type) {
        return table.routes(type).stream().map(TriggerTable.Route::service).toList();
    }

    @Test
    void theKnativeTriggersRouteEachTypeToItsServices() {
        TriggerTable table = TriggerTable.load(TRIGGERS);
        assertEquals(Set.of("meshfed-registration", "meshfed-export", "meshfed-pki", "meshfed-xds-bridge"),
                table.services());
        assertEquals(List.of("meshfed-export", "meshfed-xds-bridge"), services(table, "io.meshfed.cluster.registered"));
        assertEquals(List.of("meshfed-export", "meshfed-xds-bridge"), services(table, "io.meshfed.cluster.deregistered"));
        assertEquals(List.of("meshfed-xds-bridge"), services(table, "io.meshfed.catalog.changed"));
        assertEquals(List.of("meshfed-pki"), services(table, "io.meshfed.csr.submitted"));
        assertEquals(List.of("meshfed-registration"), services(table, "io.meshfed.cluster.registration.requested"));
        assertEquals(List.of("meshfed-export"), services(table, "dev.knative.sources.ping"), "subscriber by uri");
        assertEquals(List.of(), services(table, "io.meshfed.cluster.registration.rejected"), "no Trigger: dropped");
    }

    @Test
    void aTriggerLocalModeCannotHonourStopsTheStartNamingTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("t.yaml"), """
                apiVersion: eventing.knative.dev/v1
                kind: Trigger
                metadata: {name: t}
                spec:
                  broker: meshfed
                  filter: {attributes: {type: io.meshfed.catalog.changed, source: meshfed/export}}
                  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: meshfed-xds-bridge}}
                """);
        ExampleException e = assertThrows(ExampleException.class, () -> TriggerTable.load(dir));
        assertTrue(e.getMessage().startsWith(file + ": local mode routes on spec.filter.attributes.type alone"),
                e.getMessage());
    }

    @Test
    void aTriggerForAServiceLocalModeDoesNotRunIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("t.yaml"), """
                apiVersion: eventing.knative.dev/v1
                kind: Trigger
                metadata: {name: t}
                spec:
                  filter: {attributes: {type: io.meshfed.catalog.changed}}
                  subscriber: {ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: audit-log}}
                """);
        ExampleException e = assertThrows(ExampleException.class,
                () -> new LocalBroker(TriggerTable.load(dir), Map.of("meshfed-export", ev -> Optional.empty()), p -> { }));
        assertEquals("a Trigger subscribes Knative Service 'audit-log', which local mode does not run (it runs "
                + "[meshfed-export])", e.getMessage());
    }

    @Test
    void theShippedExamplesLoad() {
        List<ExampleCluster> two = ExampleCluster.loadAll(Path.of("../examples/two-clusters"));
        assertEquals(List.of("east", "west"), two.stream().map(c -> c.cluster().name()).toList());
        assertEquals(new GatewayAddress("192.0.2.10", 15443), two.get(0).cluster().eastWestGateway());
        assertEquals(new Locality("us-east1", "us-east1-b"), two.get(0).cluster().locality());
        assertEquals("net-west", two.get(1).cluster().network());
        assertEquals("west.meshfed.example", two.get(1).cluster().trustDomain());
        List<ExampleCluster> three = ExampleCluster.loadAll(Path.of("../examples/three-clusters-two-regions"));
        assertEquals(List.of("east-1", "east-2", "west-1"), three.stream().map(c -> c.cluster().name()).toList());
        assertEquals(Set.of("us-east1", "europe-west4"),
                Set.copyOf(three.stream().map(c -> c.cluster().locality().region()).toList()));
        // west-1's load balancer is known by name only: peers get a DNS-resolved gateway.
        assertEquals(new GatewayAddress("eastwest-west-1.elb.example.net", 15443), three.get(2).cluster().eastWestGateway());
        assertFalse(three.get(2).cluster().eastWestGateway().isIp());
    }

    @Test
    void anExampleClusterWithoutEastWestGatewaySaysWhatToAdd(@TempDir Path dir) throws Exception {
        Path east = Files.createDirectories(dir.resolve("east"));
        Files.writeString(east.resolve("cluster.yaml"), "name: east\nnetwork: n1\nregion: r1\ntrustDomain: east.example\n");
        ExampleException e = assertThrows(ExampleException.class, () -> ExampleCluster.loadAll(dir));
        assertEquals(east + ": needs exactly one Service labelled istio=eastwestgateway (the east-west gateway), "
                + "found 0", e.getMessage());
    }

    @Test
    void aClusterFileWithAnUnknownFieldIsRefused(@TempDir Path dir) throws Exception {
        Path east = Files.createDirectories(dir.resolve("east"));
        Files.writeString(east.resolve("cluster.yaml"), "name: east\nnetwrok: n1\n");
        ExampleException e = assertThrows(ExampleException.class, () -> ExampleCluster.loadAll(dir));
        assertTrue(e.getMessage().startsWith(east.resolve("cluster.yaml") + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("netwrok"), e.getMessage());
    }

    @Test
    void aDirectoryWithoutClustersIsRefused(@TempDir Path dir) {
        ExampleException e = assertThrows(ExampleException.class, () -> ExampleCluster.loadAll(dir));
        assertEquals(dir + " holds no cluster: each cluster is a sub-directory with a cluster.yaml "
                + "(see examples/two-clusters)", e.getMessage());
    }
}
