package io.meshfed.registration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.registration.ClusterRegistry.Registered;
import io.meshfed.registration.ClusterRegistry.Rejected;
import io.meshfed.registration.RejectionReason.Code;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.ClusterStatusWriter.Condition;
import io.meshfed.store.status.ClusterStatusWriter.ConditionStatus;
import io.meshfed.store.status.ClusterStatusWriter.Report;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What registration reports on a cluster's status, in order, on the fabric8 CRUD mock server. */
@EnableKubernetesMockClient(crud = true)
class ClusterRegistryStatusTest {
    static final String CA = ClusterRegistryTest.CA;
    static final String URL = ClusterRegistryTest.URL;

    record Reported(String cluster, Report report) {
    }

    KubernetesClient client;
    final List<Reported> reported = new ArrayList<>();
    final AtomicReference<Optional<RejectionReason>> probeAnswer = new AtomicReference<>(Optional.empty());
    ClusterRegistry registry;

    @BeforeEach
    void setUp() {
        registry = new ClusterRegistry(new KubernetesClusterStore(client, "meshfed"), (api, creds) -> probeAnswer.get(),
                java.util.Set.of(), (cluster, report) -> reported.add(new Reported(cluster, report)));
    }

    @Test
    void registeredThenRepeatedThenARefusedMoveReportsOnlyWhatWasFound() {
        assertInstanceOf(Registered.class, registry.register(Requests.valid("east", "10.0.0.1", URL, CA)));
        assertInstanceOf(Registered.class, registry.register(Requests.valid("east", "10.0.0.1", URL, CA)));
        probeAnswer.set(Optional.of(new RejectionReason(Code.API_SERVER_UNREACHABLE, "apiServer.url", "refused")));
        assertInstanceOf(Rejected.class, registry.register(Requests.valid("east", "10.0.0.2", URL, CA)));

        Condition registered = new Condition(ClusterStatusWriter.REGISTERED, ConditionStatus.TRUE, "Registered",
                "registered at generation 1");
        assertEquals(List.of(
                new Reported("east", Report.of(registered, new Condition(ClusterStatusWriter.API_REACHABLE,
                        ConditionStatus.TRUE, "Reachable", "GET /version at " + URL + " answered with the credentials"))),
                new Reported("east", new Report(List.of(registered), List.of(ClusterStatusWriter.API_REACHABLE),
                        Optional.empty(), Optional.empty()))),
                reported, "the repeat keeps what the first probe found; a refused update reports nothing");
    }

    @Test
    void aFailedStatusWriteLeavesTheRegistrationAsItWas() {
        ClusterRegistry failing = new ClusterRegistry(new KubernetesClusterStore(client, "meshfed"),
                (api, creds) -> Optional.empty(), java.util.Set.of(), (cluster, report) -> {
                    throw new IllegalStateException("403 Forbidden");
                });
        assertInstanceOf(Registered.class, failing.register(Requests.valid("east", "10.0.0.1", URL, CA)));
    }
}
