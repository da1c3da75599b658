package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.store.FilePolicyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshfed policy list} over local mode's state directory: policies, their per-cluster statuses, the invalid. */
class PolicyListTest {

    @Test
    void listsEveryPolicyWithItsStatusInEachCluster(@TempDir Path state) throws Exception {
        FilePolicyStore store = new FilePolicyStore(state);
        Files.createDirectories(store.directory());
        Files.writeString(store.directory().resolve("policies.yaml"), """
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: cart}
                spec: {destination: {namespace: shop, service: cart}, timeout: 2s}
                ---
                apiVersion: meshfed.io/v1alpha1
                kind: AccessPolicy
                metadata: {name: lockdown}
                spec: {defaultDeny: true}
                ---
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: broken}
                spec: {destination: {namespace: shop}, timeout: soon}
                """);
        store.writeStatus("TrafficPolicy", "cart", List.of(
                new PolicyStatus("TrafficPolicy/cart", "east", PolicyStatus.State.Applied, List.of("shop/cart"), List.of()),
                new PolicyStatus("TrafficPolicy/cart", "west", PolicyStatus.State.Conflict, List.of(),
                        List.of("shop/cart: timeout is set by TrafficPolicy/a already"))));

        Cli.Run table = new Cli().run("policy", "list", "--state-dir", state.toString());
        assertEquals(0, table.exitCode(), table.err());
        assertEquals("POLICY DESTINATION CLUSTER STATE SERVICES MESSAGES",
                table.out().lines().findFirst().orElse("").replaceAll(" +", " "), table.out());
        assertTrue(table.out().contains("AccessPolicy/lockdown"), table.out());
        assertTrue(table.out().matches("(?s).*TrafficPolicy/broken +- +\\* +Invalid +- +spec.timeout: must be a duration.*"),
                table.out());
        assertTrue(table.out().matches("(?s).*TrafficPolicy/cart +shop/cart +west +Conflict +- +shop/cart: timeout is set.*"),
                table.out());
        assertTrue(table.out().matches("(?s).*AccessPolicy/lockdown +default deny +- +Pending .*"), table.out());

        Cli.Run json = new Cli().run("--state-dir", state.toString(), "-o", "json", "policy", "list");
        assertEquals(0, json.exitCode(), json.err());
        var policies = Output.JSON.readTree(json.out()).get("policies");
        assertEquals(3, policies.size());
        assertEquals("Conflict", policies.get(2).at("/clusters/1/state").asText(), json.out());
    }

    @Test
    void aFreshStateHasNoPoliciesAndAMissingOneIsAnError(@TempDir Path state) {
        Cli.Run empty = new Cli().run("policy", "list", "--state-dir", state.toString());
        assertEquals(0, empty.exitCode(), empty.err());
        assertEquals("no policies\n", empty.out());
        assertTrue(!Files.exists(state.resolve("policies")), "listing writes nothing");
        Cli.Run missing = new Cli().run("policy", "list", "--state-dir", state.resolve("nope").toString());
        assertEquals(ExitCodes.UNREACHABLE, missing.exitCode());
        assertEquals("meshfed: state directory " + state.resolve("nope") + " does not exist\n", missing.err());
    }
}
