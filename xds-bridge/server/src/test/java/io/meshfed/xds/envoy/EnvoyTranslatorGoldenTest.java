package io.meshfed.xds.envoy;

import static io.meshfed.xds.Fixtures.catalog;
import static io.meshfed.xds.Fixtures.cluster;
import static io.meshfed.xds.Fixtures.endpoint;
import static io.meshfed.xds.Fixtures.grpcService;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Message;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.clusters.aggregate.v3.ClusterConfig;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.load_balancing_policies.cluster_provided.v3.ClusterProvided;
import io.envoyproxy.envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin;
import io.envoyproxy.envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServicePort;
import io.meshfed.xds.Fixtures;
import io.meshfed.xds.cache.NodeGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden files for the Envoy translation: three clusters (east and east2 share a network, west does not), a
 * stale catalog, a not-ready workload, and node groups in different localities, every gateway an IP; then the same
 * fleet with clusters whose gateways are known only by name (the aggregate cluster, under
 * {@code named-gateways/}). Regenerate with {@code -Dgolden.update=true} and review the diff.
 */
class EnvoyTranslatorGoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden/envoy");
    static final Locality EAST_A = new Locality("us-east", "a");
    static final Locality EAST_B = new Locality("us-east", "b");
    static final Locality WEST_A = new Locality("us-west", "a");

    static List<ClusterCatalog> catalogs() {
        MeshCluster east = cluster("east", "net-east", EAST_A, "192.0.2.10", 15443);
        MeshCluster east2 = cluster("east2", "net-east", EAST_B, "192.0.2.11", 15443);
        MeshCluster west = cluster("west", "net-west", WEST_A, "192.0.2.20", 15443);
        ExportedService http = new ExportedService("shop", "cart",
                List.of(new ServicePort("http", 8080, "HTTP", 8081)),
                List.of(endpoint("10.2.0.5", WEST_A, true), endpoint("10.2.0.6", WEST_A, true)));
        return List.of(
                catalog(east, 3, grpcService("demo", "echo", 7070, 7071, endpoint("10.1.0.1", EAST_A, true),
                        endpoint("10.1.0.2", EAST_B, false))),
                catalog(east2, 1, grpcService("demo", "echo", 7070, 7071, endpoint("10.1.1.1", EAST_B, true))),
                catalog(west, 2, grpcService("demo", "echo", 7070, 7071, endpoint("10.2.0.1", WEST_A, true)), http)
                        .markedStale(Fixtures.T0.minus(Duration.ofHours(1))));
    }

    static MeshCluster named(String name, Locality locality, String gatewayHost) {
        return new MeshCluster(name, "net-" + name, locality, new GatewayAddress(gatewayHost, 15443),
                name + ".meshfed.example", null);
    }

    /**
     * {@link #catalogs()} plus three clusters on networks of their own whose gateways have only names: dns
     * (us-west/a), south (us-east/b: nearer to east than dns, though its name sorts after) and north (us-west/a,
     * nothing ready behind its gateway).
     */
    static List<ClusterCatalog> withNamedGateways() {
        List<ClusterCatalog> all = new ArrayList<>(catalogs());
        all.add(catalog(named("dns", WEST_A, "gw.dns.example"), 1,
                grpcService("demo", "echo", 7070, 7071, endpoint("10.3.0.1", WEST_A, true))));
        all.add(catalog(named("south", EAST_B, "gw.south.example"), 1,
                grpcService("demo", "echo", 7070, 7071, endpoint("10.4.0.1", EAST_B, true))));
        all.add(catalog(named("north", WEST_A, "gw.north.example"), 1,
                grpcService("demo", "echo", 7070, 7071, endpoint("10.5.0.1", WEST_A, false))));
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"east", "east@us-east/b", "west"})
    void matchesGolden(String group) throws Exception {
        int at = group.indexOf('@');
        NodeGroup g = at < 0 ? NodeGroup.of(group) : new NodeGroup(group.substring(0, at), group.substring(at + 1));
        String actual = render(new EnvoyTranslator(EnvoyPolicy.DEFAULT).translate(catalogs(), g, Fixtures.T0));
        Path file = GOLDEN.resolve(group.replace('@', '_').replace('/', '-') + ".json");
        if (Boolean.getBoolean("golden.update")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, actual);
        }
        assertEquals(Files.readString(file), actual, "golden file " + file + " (regenerate with -Dgolden.update=true)");
    }

    /**
     * Every group on another network than dns, south and north gets echo's aggregate cluster: the EDS member, then
     * south, then dns (north has nothing ready); dns's own group fails over to south and north's names only.
     */
    @ParameterizedTest
    @ValueSource(strings = {"east", "west", "dns"})
    void namedGatewaysMatchGolden(String group) throws Exception {
        String actual = render(new EnvoyTranslator(EnvoyPolicy.DEFAULT).translate(withNamedGateways(),
                NodeGroup.of(group), Fixtures.T0));
        Path file = GOLDEN.resolve("named-gateways").resolve(group + ".json");
        if (Boolean.getBoolean("golden.update")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, actual);
        }
        assertEquals(Files.readString(file), actual, "golden file " + file + " (regenerate with -Dgolden.update=true)");
    }

    @Test
    void translationIsDeterministic() {
        EnvoyTranslator t = new EnvoyTranslator(EnvoyPolicy.DEFAULT);
        List<ClusterCatalog> reversed = new java.util.ArrayList<>(catalogs());
        java.util.Collections.reverse(reversed);
        assertEquals(t.translate(catalogs(), NodeGroup.of("east"), Fixtures.T0),
                t.translate(reversed, NodeGroup.of("east"), Fixtures.T0));
    }

    static String render(Map<String, Map<String, Message>> resources) throws Exception {
        JsonFormat.Printer printer = JsonFormat.printer().usingTypeRegistry(TypeRegistry.newBuilder()
                .add(HttpConnectionManager.getDescriptor()).add(Router.getDescriptor())
                .add(HttpProtocolOptions.getDescriptor()).add(ClusterConfig.getDescriptor())
                .add(ClusterProvided.getDescriptor()).add(WrrLocality.getDescriptor()).add(RoundRobin.getDescriptor())
                .build());
        StringBuilder sb = new StringBuilder();
        for (var type : resources.entrySet()) {
            sb.append("# ").append(type.getKey()).append('\n');
            for (var r : type.getValue().entrySet()) {
                sb.append("## ").append(r.getKey()).append('\n').append(printer.print(r.getValue())).append('\n');
            }
        }
        return sb.toString();
    }
}
