package io.meshfed.store;

import io.meshfed.model.ApiServerRef;
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

final class StoreFixtures {
    static final String CA = "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n";

    static final io.meshfed.model.ClusterCredentials TOKEN = io.meshfed.model.ClusterCredentials.ofToken("t");

    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    private StoreFixtures() {
    }

    static MeshCluster cluster(String name, String gatewayIp) {
        return new MeshCluster(name, "net-" + name, new Locality("us-east1", "us-east1-b"),
                new GatewayAddress(gatewayIp, 15443), name + ".example.org",
                new ApiServerRef("https://" + name + ".k8s.example.org:6443", CA,
                        KubernetesClusterStore.credentialsSecretName(name, TOKEN)));
    }

    /** Cluster east's catalog at {@code version}: one service with {@code replicas} endpoints. */
    static ClusterCatalog catalog(long version, int replicas) {
        var endpoints = new java.util.ArrayList<ServiceEndpoint>();
        for (int i = 0; i < replicas; i++) {
            endpoints.add(new ServiceEndpoint("10.1.0." + (i + 1), new Locality("us-east1", "us-east1-b"), true,
                    Map.of("app", "reviews", "version", "v" + (i % 2 + 1))));
        }
        var reviews = new ExportedService("bookinfo", "reviews",
                List.of(new ServicePort("http", 9080, "HTTP", 9080)), endpoints);
        return ClusterCatalog.fresh(cluster("east", "10.0.0.1"), List.of(reviews), version, T0);
    }
}
