package io.meshfed.registration;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.FileClusterStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires the plain registration service to its store: the management cluster's Kubernetes API
 * ({@code meshfed.store=kubernetes}, the default) or a local state directory ({@code meshfed.store=file},
 * local mode, no Kubernetes needed).
 */
public class RegistrationBeans {
    private static final Logger LOG = Logger.getLogger(RegistrationBeans.class);

    @Produces
    @Singleton
    ClusterStore clusterStore(Instance<KubernetesClient> client,
            @ConfigProperty(name = "meshfed.store", defaultValue = "kubernetes") String kind,
            @ConfigProperty(name = "meshfed.namespace", defaultValue = "meshfed") String namespace,
            @ConfigProperty(name = "meshfed.state-dir", defaultValue = ".meshfed/state") Path stateDir) {
        switch (kind) {
            case "kubernetes":
                return new KubernetesClusterStore(client.get(), namespace);
            case "file":
                LOG.infof("local mode: state in %s", stateDir.toAbsolutePath());
                return new FileClusterStore(stateDir);
            default:
                throw new IllegalArgumentException("meshfed.store must be 'kubernetes' or 'file', got '" + kind + "'");
        }
    }

    /** MeshCluster status on the management cluster; none in local mode (no MeshCluster resources). */
    @Produces
    @Singleton
    ClusterStatusWriter clusterStatusWriter(Instance<KubernetesClient> client,
            @ConfigProperty(name = "meshfed.store", defaultValue = "kubernetes") String kind,
            @ConfigProperty(name = "meshfed.namespace", defaultValue = "meshfed") String namespace) {
        return "kubernetes".equals(kind)
                ? new KubernetesClusterStatusWriter(client.get(), namespace, "meshfed-registration", Clock.systemUTC())
                : ClusterStatusWriter.NONE;
    }

    @Produces
    @Singleton
    ClusterRegistry clusterRegistry(ClusterStore store, ClusterStatusWriter status,
            @ConfigProperty(name = "meshfed.registration.api-check-timeout", defaultValue = "5s") Duration timeout,
            @ConfigProperty(name = "meshfed.registration.shared-trust-domains") Optional<Set<String>> shared) {
        return new ClusterRegistry(store, new HttpApiServerProbe(timeout), shared.orElse(Set.of()), status);
    }

    @Produces
    @Singleton
    RegistrationAdapter registrationAdapter(ClusterRegistry registry) {
        return new RegistrationAdapter(registry, Logger.getLogger(RegistrationAdapter.class)::info);
    }
}
