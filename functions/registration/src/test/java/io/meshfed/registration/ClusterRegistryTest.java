package io.meshfed.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.registration.ClusterRegistry.Registered;
import io.meshfed.registration.ClusterRegistry.Rejected;
import io.meshfed.registration.RegistrationRequest.ApiServerInput;
import io.meshfed.registration.RegistrationRequest.CredentialsInput;
import io.meshfed.registration.RegistrationRequest.GatewayInput;
import io.meshfed.registration.RegistrationRequest.LocalityInput;
import io.meshfed.registration.RejectionReason.Code;
import io.meshfed.store.ClusterStore.PutResult;
import io.meshfed.store.KubernetesClusterStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The registry without Quarkus, on the fabric8 CRUD mock server, with a scripted API-server probe. */
@EnableKubernetesMockClient(crud = true)
class ClusterRegistryTest {
    static final String CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    static final String URL = "https://east.k8s.example.org:6443";

    KubernetesClient client;
    KubernetesClusterStore store;
    final AtomicReference<Optional<RejectionReason>> probeAnswer = new AtomicReference<>(Optional.empty());
    final AtomicInteger probes = new AtomicInteger();
    ClusterRegistry registry;

    @BeforeEach
    void setUp() {
        store = new KubernetesClusterStore(client, "meshfed");
        registry = new ClusterRegistry(store, (api, creds) -> {
            probes.incrementAndGet();
            return probeAnswer.get();
        });
    }

    int objectsStored() {
        return client.genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER).inNamespace("meshfed").list()
                .getItems().size() + client.secrets().inNamespace("meshfed").list().getItems().size();
    }

    @Test
    void registersAndRepeatsIdempotently() {
        var first = (Registered) registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        assertEquals(PutResult.CREATED, first.change());
        String rv = store.get("east").orElseThrow().resourceVersion();
        var second = (Registered) registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        assertEquals(PutResult.UNCHANGED, second.change());
        assertEquals(first.cluster(), second.cluster());
        assertEquals(first.generation(), second.generation());
        assertEquals(rv, store.get("east").orElseThrow().resourceVersion());
        assertEquals(1, probes.get(), "an unchanged re-registration does not probe the API server again");
        assertEquals(Optional.of(ClusterCredentials.ofToken("good-token")), store.credentials("east"));
    }

    @Test
    void changedSpecUpdates() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        var updated = (Registered) registry.register(Requests.valid("east", "10.0.0.9", URL, CA));
        assertEquals(PutResult.UPDATED, updated.change());
        assertEquals("10.0.0.9", store.get("east").orElseThrow().cluster().eastWestGateway().address());
        assertEquals(1, store.list().size());
    }

    @Test
    void everyFieldProblemIsReportedTogetherAndNothingIsWritten() {
        var bad = new RegistrationRequest("East_1", "", new LocalityInput("us east", "b/1"),
                new GatewayInput("300.1.1.1", 70000), "spiffe://East", "credentials",
                new ApiServerInput("http://east:6443", "not a pem"), new CredentialsInput(null, null, null));
        var rejected = (Rejected) registry.register(bad);
        assertEquals(List.of("name", "network", "trustDomain", "locality.region", "locality.zone",
                "eastWestGateway.address", "eastWestGateway.port", "apiServer.url", "apiServer.caData", "credentials"),
                rejected.reasons().stream().map(RejectionReason::field).toList());
        assertTrue(rejected.reasons().stream().allMatch(r -> r.code() == Code.INVALID_FIELD));
        assertEquals(0, objectsStored());
        assertEquals(0, probes.get());
    }

    @Test
    void missingSectionsAreNamed() {
        var rejected = (Rejected) registry.register(new RegistrationRequest("east", "net", null, null, "east.org",
                null, null, null));
        assertEquals(List.of("locality", "eastWestGateway", "apiServer", "credentials"),
                rejected.reasons().stream().map(RejectionReason::field).toList());
        assertEquals(0, objectsStored());
    }

    @Test
    void noApiAccessModeNeedsNoCredentialsAndIsNotProbed() {
        var r = (Registered) registry.register(Requests.configOnly("edge", "edge-gw.example.org"));
        assertEquals(PutResult.CREATED, r.change());
        assertEquals(0, probes.get());
        assertTrue(store.credentials("edge").isEmpty());
        assertEquals(1, objectsStored());
    }

    @Test
    void noApiAccessModeRefusesCredentials() {
        var req = new RegistrationRequest("edge", "net", new LocalityInput("eu-west1", null),
                new GatewayInput("10.0.0.5", 15443), "edge.org", "none", new ApiServerInput(URL, CA),
                new CredentialsInput("t", null, null));
        var rejected = (Rejected) registry.register(req);
        assertEquals(List.of("apiServer", "credentials"), rejected.reasons().stream().map(RejectionReason::field).toList());
    }

    @Test
    void gatewayOfAnotherClusterIsRefused() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        var rejected = (Rejected) registry.register(Requests.valid("west", "10.0.0.1", URL, CA));
        assertEquals(Code.GATEWAY_IN_USE, rejected.reasons().get(0).code());
        assertTrue(rejected.reasons().get(0).message().contains("'east'"));
        assertEquals(List.of("east"), store.list().stream().map(s -> s.cluster().name()).toList());
    }

    @Test
    void trustDomainOfAnotherClusterIsRefusedBeforeAnyProbe() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        int probesBefore = probes.get();
        var r = Requests.valid("west", "10.0.0.2", URL, CA);
        var claim = new RegistrationRequest(r.name(), r.network(), r.locality(), r.eastWestGateway(),
                "east.example.org", r.apiAccess(), r.apiServer(), r.credentials());
        var rejected = (Rejected) registry.register(claim);
        assertEquals(List.of(Code.TRUST_DOMAIN_IN_USE), rejected.reasons().stream().map(RejectionReason::code).toList());
        assertEquals("trustDomain", rejected.reasons().get(0).field());
        assertTrue(rejected.reasons().get(0).message().contains("'east'"), rejected.reasons().get(0).message());
        assertEquals(probesBefore, probes.get());
        assertEquals(List.of("east"), store.list().stream().map(s -> s.cluster().name()).toList());
    }

    @Test
    void gatewayAndTrustDomainClashesAreReportedTogether() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        var r = Requests.valid("west", "10.0.0.1", URL, CA);
        var claim = new RegistrationRequest(r.name(), r.network(), r.locality(), r.eastWestGateway(),
                "east.example.org", r.apiAccess(), r.apiServer(), r.credentials());
        var rejected = (Rejected) registry.register(claim);
        assertEquals(List.of(Code.GATEWAY_IN_USE, Code.TRUST_DOMAIN_IN_USE),
                rejected.reasons().stream().map(RejectionReason::code).toList());
    }

    @Test
    void aTrustDomainTheOperatorDeclaredSharedMayBeUsedTwice() {
        var shared = new ClusterRegistry(store, (api, creds) -> Optional.empty(), java.util.Set.of("mesh.example.org"));
        for (String name : List.of("east", "west")) {
            var r = Requests.valid(name, name.equals("east") ? "10.0.0.1" : "10.0.0.2", URL, CA);
            var req = new RegistrationRequest(r.name(), r.network(), r.locality(), r.eastWestGateway(),
                    "mesh.example.org", r.apiAccess(), r.apiServer(), r.credentials());
            assertInstanceOf(Registered.class, shared.register(req), name);
        }
        assertEquals(2, store.list().size());
    }

    @Test
    void reRegisteringOnesOwnTrustDomainIsNoClash() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        var again = assertInstanceOf(Registered.class, registry.register(Requests.valid("east", "10.0.0.9", URL, CA)));
        assertEquals(PutResult.UPDATED, again.change());
    }

    @Test
    void movingTheApiServerNeedsCredentialsTheRegisteredOneAccepts() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        String version = store.get("east").orElseThrow().resourceVersion();
        var scripted = new ClusterRegistry(store, (api, creds) -> api.url().equals(URL)
                ? Optional.of(new RejectionReason(Code.API_SERVER_UNAUTHORIZED, "credentials", "401 from " + api.url()))
                : Optional.empty());
        var moved = Requests.valid("east", "10.0.0.1", "https://elsewhere.example.org:6443", CA);
        var withAnotherToken = new RegistrationRequest(moved.name(), moved.network(), moved.locality(),
                moved.eastWestGateway(), moved.trustDomain(), moved.apiAccess(), moved.apiServer(),
                new RegistrationRequest.CredentialsInput("another-token", null, null));

        var rejected = assertInstanceOf(Rejected.class, scripted.register(withAnotherToken));
        assertEquals(List.of(Code.OWNERSHIP_NOT_PROVEN), rejected.reasons().stream().map(RejectionReason::code).toList());
        assertTrue(rejected.reasons().get(0).message().contains("401 from " + URL), rejected.reasons().get(0).message());
        assertEquals(version, store.get("east").orElseThrow().resourceVersion());

        assertInstanceOf(Registered.class, scripted.register(moved),
                "the stored credentials prove ownership even when the registered API server refuses or is gone");
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        var accepting = new ClusterRegistry(store, (api, creds) -> Optional.empty());
        assertInstanceOf(Registered.class, accepting.register(withAnotherToken),
                "credentials the registered API server accepts prove ownership");
    }

    @Test
    void anUpdateMayNotDropApiAccess() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        var rejected = assertInstanceOf(Rejected.class, registry.register(Requests.configOnly("east", "10.0.0.7")));
        assertEquals(List.of(Code.OWNERSHIP_NOT_PROVEN), rejected.reasons().stream().map(RejectionReason::code).toList());
        assertEquals("apiAccess", rejected.reasons().get(0).field());
        assertTrue(store.get("east").orElseThrow().cluster().hasApiAccess());
    }

    @Test
    void probeFailuresAreRejectionsAndWriteNothing() {
        for (Code code : List.of(Code.API_SERVER_UNREACHABLE, Code.API_SERVER_TLS_FAILURE,
                Code.API_SERVER_UNAUTHORIZED, Code.API_SERVER_FORBIDDEN, Code.API_SERVER_ERROR)) {
            probeAnswer.set(Optional.of(new RejectionReason(code, "apiServer.url", "scripted")));
            var rejected = assertInstanceOf(Rejected.class, registry.register(Requests.valid("east", "10.0.0.1", URL, CA)));
            assertEquals(List.of(code), rejected.reasons().stream().map(RejectionReason::code).toList());
            assertEquals(0, objectsStored());
        }
    }

    @Test
    void concurrentRegistrationsOfOneNameProduceOneCluster() throws Exception {
        // every conflict a writer sees is another writer's success, so n writers need at most n attempts each
        int writers = ClusterRegistry.MAX_CONFLICT_RETRIES;
        var pool = Executors.newFixedThreadPool(writers);
        var start = new CountDownLatch(1);
        var futures = new java.util.ArrayList<Future<ClusterRegistry.RegistrationResult>>();
        for (int i = 0; i < writers; i++) {
            String ip = "10.0.1." + (i + 1);
            futures.add(pool.submit(() -> {
                start.await();
                return registry.register(Requests.valid("east", ip, URL, CA));
            }));
        }
        start.countDown();
        long created = 0;
        for (var f : futures) {
            if (f.get() instanceof Registered r && r.change() == PutResult.CREATED) {
                created++;
            }
        }
        pool.shutdown();
        assertEquals(1, created);
        assertEquals(1, store.list().size());
        assertEquals(1, client.secrets().inNamespace("meshfed").list().getItems().size());
    }

    @Test
    void deregistrationRemovesEverythingAndIsIdempotent() {
        registry.register(Requests.valid("east", "10.0.0.1", URL, CA));
        assertEquals(new ClusterRegistry.Deregistered("east", true), registry.deregister("east"));
        assertEquals(0, objectsStored());
        assertEquals(new ClusterRegistry.Deregistered("east", false), registry.deregister("east"));
    }
}
