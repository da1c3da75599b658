package io.meshfed.xds.app;

import static io.meshfed.xds.app.RealManagementCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.KubernetesPolicyStore;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Policies reach the bridge from the store alone: on a real kube-apiserver with the CRDs and RBAC as shipped, the
 * bridge's ServiceAccount watches TrafficPolicies (no {@code policy.changed} event is ever sent); a policy written by
 * an operator is translated, its status appears on the resource, a spec change is followed, and a deleted policy
 * leaves the bridge's output.
 */
@ExtendWith(PeerLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyWatchRealApiServerTest {
    private static final String NS = RealManagementCluster.NS;

    RealManagementCluster cluster;
    CatalogFeed feed;
    StoreWatch watch;
    KubernetesPolicyStore statuses;

    @BeforeAll
    void start() throws Exception {
        cluster = new RealManagementCluster("meshcluster.yaml", "trafficpolicy.yaml", "accesspolicy.yaml");
        KubernetesClient bridge = cluster.clientOf("meshfed-xds-bridge");
        new KubernetesClusterStore(cluster.api.admin(), NS).put(ManagementCluster.EAST, Optional.empty());
        new KubernetesCatalogStore(cluster.api.admin(), NS).put(ManagementCluster.catalog(ManagementCluster.EAST, 1,
                ManagementCluster.service("demo", "echo", "10.1.0.1", ManagementCluster.EAST_A)), 0);
        IstioFederationTranslator federation = new IstioFederationTranslator();
        statuses = new KubernetesPolicyStore(cluster.api.admin(), NS);
        feed = new CatalogFeed(new KubernetesClusterStore(bridge, NS), new KubernetesCatalogStore(bridge, NS),
                new SnapshotCache(), new EnvoyTranslator(EnvoyPolicy.DEFAULT),
                FederationMcpTranslator.incremental(federation), Clock.systemUTC(),
                new KubernetesPolicyStore(bridge, NS), federation);
        feed.loadAll();
        watch = StoreWatch.start(bridge, NS, feed, Duration.ofMinutes(10));
    }

    @AfterAll
    void stop() {
        if (watch != null) {
            watch.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private void apply(String yaml) {
        cluster.api.admin().load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).serverSideApply();
    }

    private String timeoutServedToEast() {
        var config = feed.policyConfigs().get("east");
        return config == null || config.virtualServices().isEmpty() ? null
                : config.virtualServices().get(0).getSpec().getHttp().get(0).getTimeout();
    }

    @Test
    void aPolicyWrittenToTheStoreIsServedAndItsStatusRecordedWithoutAnyEvent() throws Exception {
        String policy = """
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: echo-timeout, namespace: meshfed}
                spec:
                  destination: {namespace: demo, service: echo}
                  timeout: %s
                """;
        apply(policy.formatted("2s"));
        await("the policy reaches the feed", () -> "2s".equals(timeoutServedToEast()));
        await("its status is on the resource", () -> statuses.statuses().containsKey("TrafficPolicy/echo-timeout"));
        List<PolicyStatus> recorded = statuses.statuses().get("TrafficPolicy/echo-timeout");
        assertEquals(List.of("east:Applied:[demo/echo]"), recorded.stream()
                .map(s -> s.cluster() + ":" + s.state() + ":" + s.services()).toList());

        apply(policy.formatted("3s"));
        await("a spec change is followed", () -> "3s".equals(timeoutServedToEast()));

        cluster.api.admin().genericKubernetesResources(KubernetesPolicyStore.TRAFFIC).inNamespace(NS)
                .withName("echo-timeout").delete();
        await("a deleted policy leaves the output", () -> timeoutServedToEast() == null);
    }
}
