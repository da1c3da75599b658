package io.meshfed.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.registration.ClusterRegistry.Registered;
import io.meshfed.registration.ClusterRegistry.Rejected;
import io.meshfed.registration.RegistrationRequest.ApiServerInput;
import io.meshfed.registration.RegistrationRequest.CredentialsInput;
import io.meshfed.registration.RegistrationRequest.GatewayInput;
import io.meshfed.registration.RegistrationRequest.LocalityInput;
import io.meshfed.registration.RejectionReason.Code;
import io.meshfed.store.ClusterStore.PutResult;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Who may change a registered cluster, against real API servers: the management cluster (stores, as the
 * registration function's ServiceAccount), the workload cluster {@code east} and one an attacker runs. {@code east}
 * is registered with a token its API server accepts. Whoever sends a change must hold such a token too; each
 * attack is refused with its typed reason and leaves the stored cluster exactly as it was (same resourceVersion).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PeerLogsOnFailure.class)
class ClusterOwnershipRealApiServerTest {
    static final String NS = "meshfed";
    static final Path MANIFESTS = Path.of("../../knative/manifests");

    Etcd etcd;
    KubeApiServer management;
    KubeApiServer east;
    KubeApiServer attacker;
    KubernetesClient asRegistration;
    KubernetesClusterStore store;
    ClusterRegistry registry;
    String eastToken;
    String attackerToken;
    String registeredVersion;

    @BeforeAll
    void start() {
        etcd = Etcd.start();
        management = KubeApiServer.start("ownership-management", etcd);
        east = KubeApiServer.start("ownership-east", etcd);
        attacker = KubeApiServer.start("ownership-attacker", etcd);
        management.apply(MANIFESTS.resolve("namespace.yaml"));
        management.apply(MANIFESTS.resolve("crd/meshcluster.yaml"));
        management.apply(MANIFESTS.resolve("rbac/registration.yaml"));
        asRegistration = management.clientWithToken(management.serviceAccountToken(NS, "meshfed-registration",
                KubeApiServer.ISSUER, Duration.ofHours(1)));
        store = new KubernetesClusterStore(asRegistration, NS);
        registry = new ClusterRegistry(store, new HttpApiServerProbe(Duration.ofSeconds(10)));
        eastToken = east.serviceAccountToken("meshfed-system", "meshfed-export-reader", KubeApiServer.ISSUER,
                Duration.ofHours(1));
        attackerToken = attacker.serviceAccountToken("meshfed-system", "meshfed-export-reader", KubeApiServer.ISSUER,
                Duration.ofHours(1));
    }

    @BeforeEach
    void registerEast() {
        assertInstanceOf(Registered.class, registry.register(request("10.0.3.1", east, eastToken)));
        registeredVersion = store.get("east").orElseThrow().resourceVersion();
    }

    @AfterAll
    void stop() {
        if (asRegistration != null) {
            asRegistration.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {attacker, east, management, etcd}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static RegistrationRequest request(String gateway, KubeApiServer api, String token) {
        return new RegistrationRequest("east", "net-east", new LocalityInput("us-east1", "us-east1-b"),
                new GatewayInput(gateway, 15443), "east.example.org", "credentials",
                new ApiServerInput(api.url(), api.caPem()), new CredentialsInput(token, null, null));
    }

    private void assertRefusedUnchanged(RegistrationRequest attack, Code expected) {
        var rejected = assertInstanceOf(Rejected.class, registry.register(attack));
        assertEquals(List.of(expected), rejected.reasons().stream().map(RejectionReason::code).toList(),
                rejected.reasons().toString());
        assertEquals(registeredVersion, store.get("east").orElseThrow().resourceVersion(), "nothing written");
        assertEquals("10.0.3.1", store.get("east").orElseThrow().cluster().eastWestGateway().address());
    }

    @Test
    void gatewayChangeWithATokenEastDoesNotAcceptIsRefused() {
        assertRefusedUnchanged(request("203.0.113.66", east, attackerToken), Code.API_SERVER_UNAUTHORIZED);
    }

    @Test
    void gatewayChangeThatDropsApiAccessIsRefused() {
        var withoutAccess = new RegistrationRequest("east", "net-east", new LocalityInput("us-east1", "us-east1-b"),
                new GatewayInput("203.0.113.66", 15443), "east.example.org", "none", null, null);
        assertRefusedUnchanged(withoutAccess, Code.OWNERSHIP_NOT_PROVEN);
    }

    @Test
    void movingEastToTheAttackersApiServerIsRefused() {
        // The attacker's own API server accepts the attacker's token: only east's refuses it.
        assertRefusedUnchanged(request("203.0.113.66", attacker, attackerToken), Code.OWNERSHIP_NOT_PROVEN);
    }

    @Test
    void aSecondClusterInEastsTrustDomainIsRefused() {
        var claim = new RegistrationRequest("mallory", "net-mallory", new LocalityInput("us-east1", null),
                new GatewayInput("203.0.113.67", 15443), "east.example.org", "credentials",
                new ApiServerInput(attacker.url(), attacker.caPem()), new CredentialsInput(attackerToken, null, null));
        var rejected = assertInstanceOf(Rejected.class, registry.register(claim));
        assertEquals(List.of(Code.TRUST_DOMAIN_IN_USE), rejected.reasons().stream().map(RejectionReason::code).toList());
        assertTrue(store.get("mallory").isEmpty(), "nothing written");
    }

    @Test
    void theOwnerMayChangeTheGateway() {
        var moved = assertInstanceOf(Registered.class, registry.register(request("10.0.3.2", east, eastToken)));
        assertEquals(PutResult.UPDATED, moved.change());
        assertEquals("10.0.3.2", store.get("east").orElseThrow().cluster().eastWestGateway().address());
        // back, so every test starts from the same registration
        assertEquals(PutResult.UPDATED,
                ((Registered) registry.register(request("10.0.3.1", east, eastToken))).change());
    }
}
