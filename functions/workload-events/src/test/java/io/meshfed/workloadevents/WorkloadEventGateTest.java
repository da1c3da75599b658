package io.meshfed.workloadevents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.EventFailure;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import io.meshfed.pki.signing.CallerAuthenticator;
import io.meshfed.pki.signing.Rejection;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.store.ClusterStore;
import io.meshfed.testsupport.MutableClock;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The gate's decisions in order, with an authenticator that answers as a TokenReview would (the real API server's
 * answers are {@code WorkloadEventsRealApiServerTest}'s): every refusal typed, and what an admitted event becomes.
 */
class WorkloadEventGateTest {
    private final List<String> reviewed = new ArrayList<>();
    private final CallerAuthenticator authenticator = (cluster, token) -> {
        reviewed.add(cluster.name() + ":" + token);
        return switch (token) {
            case "east-sender" -> new CallerAuthenticator.Authenticated("system:serviceaccount:meshfed-system:x");
            case "east-other-account" -> new CallerAuthenticator.Refused(Rejection.of(RejectionReason.WRONG_IDENTITY,
                    "not the sender"));
            case "east-other-audience" -> new CallerAuthenticator.Refused(Rejection.of(
                    RejectionReason.WRONG_AUDIENCE, "not for meshfed-workload-events"));
            case "api-down" -> throw new AuthenticationUnavailableException("connection refused", null);
            default -> new CallerAuthenticator.Refused(Rejection.of(RejectionReason.UNAUTHENTICATED, "forged"));
        };
    };
    private final WorkloadEventGate gate = new WorkloadEventGate(new OneClusterStore(), authenticator,
            new MutableClock());

    private static CloudEvent apiServerEvent(String cluster, byte[] data) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId("evt-1").withType("dev.knative.apiserver.resource.update")
                .withSource(URI.create("https://10.0.0.1:6443")).withData("application/json", data);
        return cluster == null ? b.build() : b.withExtension("meshfedcluster", cluster).build();
    }

    private EventFailure refused(CloudEvent event, String authorization) {
        return assertThrows(EventFailure.class, () -> gate.admit(event, authorization));
    }

    @Test
    void anAdmittedEventBecomesADatalessSyncOfTheAuthenticatedCluster() {
        CloudEvent sync = gate.admit(apiServerEvent("east", "{\"kind\":\"Service\",\"evil\":true}".getBytes(
                StandardCharsets.UTF_8)), "Bearer east-sender");
        assertEquals("io.meshfed.service.export.sync", sync.getType());
        assertEquals("east", sync.getSubject());
        assertEquals(URI.create(WorkloadEventGate.SOURCE), sync.getSource());
        assertEquals("workload/east/evt-1", sync.getId());
        assertNull(sync.getData(), "nothing of the workload's event is passed on");
        assertEquals(List.of("east:east-sender"), reviewed, "reviewed by east, the cluster the event names");
    }

    @Test
    void aReferenceModeEventIsTakenAsWell() {
        CloudEvent ref = CloudEventBuilder.v1(apiServerEvent("east", new byte[0]))
                .withType("dev.knative.apiserver.ref.delete").build();
        assertEquals("east", gate.admit(ref, "Bearer east-sender").getSubject());
    }

    @Test
    void aSyncNamesItsClusterInTheSubject() {
        CloudEvent event = CloudEventBuilder.v1().withId("s-1").withType("io.meshfed.service.export.sync")
                .withSource(URI.create("/cli")).withSubject("east").build();
        assertEquals("east", gate.admit(event, "bearer east-sender").getSubject());
    }

    @Test
    void everyRefusalIsTypedAndAsksNoApiServerItNeedNot() {
        CloudEvent registration = CloudEventBuilder.v1().withId("r").withType("io.meshfed.cluster.registration.requested")
                .withSource(URI.create("/x")).withSubject("east").build();
        EventFailure type = refused(registration, "Bearer east-sender");
        assertEquals(EventFailure.Kind.FORBIDDEN, type.kind());
        assertEquals("type", type.field());

        EventFailure noCluster = refused(apiServerEvent(null, new byte[0]), "Bearer east-sender");
        assertEquals(EventFailure.Kind.BAD_EVENT, noCluster.kind());
        assertEquals("meshfedcluster", noCluster.field());
        assertEquals(EventFailure.Kind.BAD_EVENT, refused(apiServerEvent("East/../x", new byte[0]),
                "Bearer east-sender").kind());

        assertEquals(EventFailure.Kind.UNAUTHENTICATED, refused(apiServerEvent("east", new byte[0]), null).kind());
        assertEquals(EventFailure.Kind.UNAUTHENTICATED, refused(apiServerEvent("east", new byte[0]), "Basic abc")
                .kind());
        assertEquals(EventFailure.Kind.UNAUTHENTICATED, refused(apiServerEvent("east", new byte[0]),
                "Bearer " + "x".repeat(20_000)).kind());
        assertEquals(EventFailure.Kind.UNKNOWN_CLUSTER, refused(apiServerEvent("north", new byte[0]),
                "Bearer east-sender").kind());
        assertTrue(reviewed.isEmpty(), "no TokenReview before the request is well formed: " + reviewed);

        assertEquals(EventFailure.Kind.UNAUTHENTICATED, refused(apiServerEvent("east", new byte[0]),
                "Bearer forged").kind());
        assertEquals(EventFailure.Kind.FORBIDDEN, refused(apiServerEvent("east", new byte[0]),
                "Bearer east-other-account").kind());
        assertEquals(EventFailure.Kind.FORBIDDEN, refused(apiServerEvent("east", new byte[0]),
                "Bearer east-other-audience").kind());
        EventFailure down = refused(apiServerEvent("east", new byte[0]), "Bearer api-down");
        assertEquals(EventFailure.Kind.UNAVAILABLE, down.kind());
        assertEquals(503, down.kind().status(), "the sender retries");
    }

    /** east is registered; nothing else. */
    private static final class OneClusterStore implements ClusterStore {
        private final StoredCluster east = new StoredCluster(new MeshCluster("east", "net-east",
                new Locality("eu-west1", "eu-west1-a"), new GatewayAddress("10.0.0.1", 15443), "east.example.org",
                null), 1, "1");

        @Override
        public Optional<StoredCluster> get(String name) {
            return "east".equals(name) ? Optional.of(east) : Optional.empty();
        }

        @Override
        public List<StoredCluster> list() {
            return List.of(east);
        }

        @Override
        public Optional<ClusterCredentials> credentials(String name) {
            return Optional.empty();
        }

        @Override
        public PutOutcome put(MeshCluster cluster, Optional<ClusterCredentials> credentials) {
            throw new UnsupportedOperationException("the gate never writes");
        }

        @Override
        public boolean delete(String name) {
            throw new UnsupportedOperationException("the gate never writes");
        }
    }
}
