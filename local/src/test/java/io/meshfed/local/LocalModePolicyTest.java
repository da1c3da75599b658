package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.EventTypes;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.policy.PolicyConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example's policies in local mode: copied into the state directory's {@code policies/} and announced with
 * {@code io.meshfed.policy.changed} through the broker (routed by the shipped Trigger), they reach what each istiod is
 * served, their statuses are recorded, and they survive a restart.
 */
class LocalModePolicyTest {

    @Test
    void theExamplePoliciesApplyInBothClustersAndSurviveARestart(@TempDir Path state) throws Exception {
        List<String> progress = Collections.synchronizedList(new ArrayList<>());
        try (LocalMesh mesh = LocalMeshRestartTest.start(state, progress)) {
            mesh.registerExamples();
            assertTrue(mesh.policyConfig("east").isEmpty(), "no policy yet");
            try (Stream<Path> files = Files.list(Path.of("../examples/two-clusters/policies"))) {
                for (Path f : files.toList()) {
                    Files.copy(f, mesh.policyDirectory().resolve(f.getFileName()));
                }
            }
            LocalBroker.Outcome outcome = mesh.broker().publish(LocalMesh.event(EventTypes.POLICY_CHANGED, null, null));
            assertEquals(1, outcome.deliveries().size(), "the Trigger routes the hint to the bridge: " + outcome);
            assertEquals(List.of(), outcome.replies());

            PolicyConfig east = mesh.policyConfig("east").orElseThrow();
            assertEquals(List.of("demo/echo.clusterset"), LocalMeshRestartTest.names(east.virtualServices()));
            assertEquals(List.of("demo/echo.echo-callers"), LocalMeshRestartTest.names(east.authorizationPolicies()));
            String yaml = mesh.istiodYaml("east");
            assertTrue(yaml.contains("kind: \"VirtualService\"") && yaml.contains("weight: 90"), yaml);
            Map<String, List<PolicyStatus>> statuses = mesh.policyStatuses();
            assertEquals(List.of("east:Applied", "west:Applied"), statuses.get("TrafficPolicy/echo-shift").stream()
                    .map(s -> s.cluster() + ":" + s.state()).toList());
            assertEquals(List.of("east:Applied", "west:Applied"), statuses.get("AccessPolicy/echo-callers").stream()
                    .map(s -> s.cluster() + ":" + s.state()).toList());
        }
        try (LocalMesh mesh = LocalMeshRestartTest.start(state, progress)) {
            assertEquals(List.of("demo/echo.clusterset"), LocalMeshRestartTest.names(
                    mesh.policyConfig("west").orElseThrow().virtualServices()), "read again from the state directory");
            // A deleted policy's status goes with it: the AccessPolicy's document removed, then the whole file.
            Path file = mesh.policyDirectory().resolve("echo-shift.yaml");
            assertEquals(java.util.Set.of("TrafficPolicy/echo-shift", "AccessPolicy/echo-callers"),
                    mesh.policyStatuses().keySet());
            List<String> documents = List.of(Files.readString(file).split("(?m)^---$"));
            Files.writeString(file, documents.stream().filter(d -> d.contains("kind: TrafficPolicy")).findFirst()
                    .orElseThrow());
            mesh.broker().publish(LocalMesh.event(EventTypes.POLICY_CHANGED, null, null));
            assertEquals(java.util.Set.of("TrafficPolicy/echo-shift"), mesh.policyStatuses().keySet());
            Files.delete(file);
            mesh.broker().publish(LocalMesh.event(EventTypes.POLICY_CHANGED, null, null));
            assertEquals(Map.of(), mesh.policyStatuses());
        }
    }
}
