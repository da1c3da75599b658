package io.meshfed.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link KubernetesPolicyStore} on a real kube-apiserver with the policy CRDs and the bridge's RBAC as shipped, acting
 * as the bridge's ServiceAccount: policies are listed (one the CRD admits and the model refuses as Invalid), statuses
 * go through the status subresource, survive the CRD's pruning unchanged (so an equal status is not written again),
 * and never touch the spec; the bridge may not write a spec.
 */
@ExtendWith(PeerLogsOnFailure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KubernetesPolicyStoreRealApiServerTest {
    private static final Path CRDS = Path.of("../../knative/manifests/crd");
    ManagementCluster mgmt;

    @BeforeAll
    void start() {
        mgmt = new ManagementCluster();
        mgmt.api().apply(CRDS.resolve("trafficpolicy.yaml"));
        mgmt.api().apply(CRDS.resolve("accesspolicy.yaml"));
    }

    @AfterAll
    void stop() {
        if (mgmt != null) {
            mgmt.close();
        }
    }

    @Test
    void theBridgeListsPoliciesAndWritesOnlyTheirStatus() {
        KubernetesClient admin = mgmt.admin();
        admin.load(new java.io.ByteArrayInputStream("""
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: cart, namespace: meshfed}
                spec:
                  destination: {namespace: shop, service: cart}
                  trafficShift: [{cluster: east, weight: 10}, {cluster: west, weight: 90}]
                  retries: {attempts: 2, retryOn: [unavailable]}
                ---
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: soon, namespace: meshfed}
                spec: {destination: {namespace: shop}, timeout: soon}
                ---
                apiVersion: meshfed.io/v1alpha1
                kind: AccessPolicy
                metadata: {name: lockdown, namespace: meshfed}
                spec: {defaultDeny: true}
                """.getBytes(java.nio.charset.StandardCharsets.UTF_8))).serverSideApply();
        try (KubernetesClient asBridge = mgmt.clientOf("meshfed-xds-bridge")) {
            KubernetesPolicyStore store = new KubernetesPolicyStore(asBridge, ManagementCluster.NAMESPACE);
            PolicyStore.Stored stored = store.list();
            assertEquals(List.of("cart"), stored.traffic().stream().map(p -> p.name()).toList());
            assertEquals(List.of(90), List.of(stored.traffic().get(0).spec().trafficShift().get(1).weight()));
            assertEquals(List.of("lockdown"), stored.access().stream().map(p -> p.name()).toList());
            assertEquals(List.of("TrafficPolicy/soon"), stored.invalid().stream().map(PolicyStore.Invalid::ref).toList());

            List<PolicyStatus> statuses = List.of(
                    new PolicyStatus("TrafficPolicy/cart", "east", PolicyStatus.State.Applied, List.of("shop/cart"),
                            List.of()),
                    new PolicyStatus("TrafficPolicy/cart", "west", PolicyStatus.State.Unsupported, List.of(),
                            List.of("shop/cart: trafficShift names cluster 'east', which does not export the service")));
            store.writeStatus("TrafficPolicy", "cart", statuses);
            GenericKubernetesResource written = resource(admin, "cart");
            assertEquals(Map.of("TrafficPolicy/cart", statuses), Map.of("TrafficPolicy/cart",
                    store.statuses().get("TrafficPolicy/cart")), "read back as written, through the CRD's pruning");
            assertEquals(1L, written.getMetadata().getGeneration(), "a status write is no spec change");

            store.writeStatus("TrafficPolicy", "cart", statuses);
            assertEquals(written.getMetadata().getResourceVersion(), resource(admin, "cart").getMetadata()
                    .getResourceVersion(), "an equal status is not written again");
            store.writeStatus("TrafficPolicy", "gone", statuses); // deleted meanwhile: nothing to do

            GenericKubernetesResource spec = resource(asBridge, "cart");
            spec.getAdditionalProperties().put("spec", Map.of("destination", Map.of("namespace", "other"),
                    "timeout", "1s"));
            KubernetesClientException refused = assertThrows(KubernetesClientException.class,
                    () -> asBridge.genericKubernetesResources(KubernetesPolicyStore.TRAFFIC)
                            .inNamespace(ManagementCluster.NAMESPACE).resource(spec).update());
            assertEquals(403, refused.getCode(), "the bridge writes statuses only");
        }
        try (KubernetesClient asRegistration = mgmt.clientOf("meshfed-registration")) {
            KubernetesClientException e = assertThrows(KubernetesClientException.class,
                    () -> new KubernetesPolicyStore(asRegistration, ManagementCluster.NAMESPACE).list());
            assertEquals(403, e.getCode(), "only the bridge reads policies");
        }
    }

    private static GenericKubernetesResource resource(KubernetesClient client, String name) {
        GenericKubernetesResource r = client.genericKubernetesResources(KubernetesPolicyStore.TRAFFIC)
                .inNamespace(ManagementCluster.NAMESPACE).withName(name).get();
        assertTrue(r != null, name);
        return r;
    }
}
