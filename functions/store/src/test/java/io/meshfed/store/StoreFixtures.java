package io.meshfed.store;

import io.meshfed.model.ApiServerRef;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;

final class StoreFixtures {
    static final String CA = "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n";

    static final io.meshfed.model.ClusterCredentials TOKEN = io.meshfed.model.ClusterCredentials.ofToken("t");

    private StoreFixtures() {
    }

    static MeshCluster cluster(String name, String gatewayIp) {
        return new MeshCluster(name, "net-" + name, new Locality("us-east1", "us-east1-b"),
                new GatewayAddress(gatewayIp, 15443), name + ".example.org",
                new ApiServerRef("https://" + name + ".k8s.example.org:6443", CA,
                        KubernetesClusterStore.credentialsSecretName(name, TOKEN)));
    }
}
