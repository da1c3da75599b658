package io.meshfed.xds;

import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ExportedService;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Small, readable catalogs for tests. */
public final class Fixtures {
    public static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private Fixtures() {
    }

    public static MeshCluster cluster(String name, String network, Locality locality, String gatewayIp, int gatewayPort) {
        return new MeshCluster(name, network, locality, new GatewayAddress(gatewayIp, gatewayPort),
                name + ".meshfed.example", null);
    }

    public static ExportedService grpcService(String ns, String name, int port, int targetPort, ServiceEndpoint... eps) {
        return new ExportedService(ns, name, List.of(new ServicePort("grpc", port, "GRPC", targetPort)), List.of(eps));
    }

    public static ServiceEndpoint endpoint(String ip, Locality locality, boolean ready) {
        return new ServiceEndpoint(ip, locality, ready, Map.of("app", "echo"));
    }

    public static ClusterCatalog catalog(MeshCluster cluster, long version, ExportedService... services) {
        return ClusterCatalog.fresh(cluster, List.of(services), version, T0);
    }
}
