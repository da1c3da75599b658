package io.meshfed.registration;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.KubernetesClusterStore;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Wires the plain registration service to the management cluster. */
public class RegistrationBeans {

    @Produces
    @Singleton
    ClusterStore clusterStore(KubernetesClient client,
            @ConfigProperty(name = "meshfed.namespace", defaultValue = "meshfed") String namespace) {
        return new KubernetesClusterStore(client, namespace);
    }

    @Produces
    @Singleton
    ClusterRegistry clusterRegistry(ClusterStore store,
            @ConfigProperty(name = "meshfed.registration.api-check-timeout", defaultValue = "5s") Duration timeout) {
        return new ClusterRegistry(store, new HttpApiServerProbe(timeout));
    }
}
