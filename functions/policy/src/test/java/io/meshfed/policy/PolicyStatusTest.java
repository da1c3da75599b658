package io.meshfed.policy;

import io.meshfed.model.policy.PolicyStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.federation.FederationConfig;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.policy.TrafficPolicy;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The typed statuses, read through the API rather than the golden text. */
class PolicyStatusTest {

    private static Map<String, PolicyStatus> statuses(String caseName, String target) {
        PolicyGoldenFiles.Case c = PolicyGoldenFiles.load(PolicyGoldenFiles.ROOT.resolve(caseName));
        return c.translate(target).statuses().stream().collect(Collectors.toMap(PolicyStatus::policy, s -> s));
    }

    @Test
    void conflictsNoMatchAndUnsupportedEachHaveTheirState() {
        Map<String, PolicyStatus> east = statuses("conflicts-and-no-match", "east");
        assertEquals(PolicyStatus.State.Applied, east.get("TrafficPolicy/a-cart-timeout").state());
        PolicyStatus loser = east.get("TrafficPolicy/b-cart-timeout");
        assertEquals(PolicyStatus.State.Conflict, loser.state());
        assertEquals(List.of("shop/cart"), loser.services(), "its retries, which nobody else sets, still apply");
        assertTrue(loser.messages().get(0).contains("TrafficPolicy/a-cart-timeout"), loser.messages().toString());
        assertEquals(PolicyStatus.State.NoMatch, east.get("TrafficPolicy/c-nothing").state());
        assertEquals(PolicyStatus.State.Unsupported, east.get("TrafficPolicy/d-shift-to-nowhere").state());
        assertEquals(PolicyStatus.State.Unsupported, east.get("TrafficPolicy/e-mirror-elsewhere").state());
        assertEquals(null, east.get("TrafficPolicy/f-north-only"), "applyTo leaves east out: no status there");
        assertEquals(PolicyStatus.State.Conflict, statuses("conflicts-and-no-match", "north")
                .get("TrafficPolicy/f-north-only").state());
    }

    @Test
    void accessStatuses() {
        Map<String, PolicyStatus> east = statuses("access", "east");
        assertEquals(PolicyStatus.State.Applied, east.get("AccessPolicy/frontend-to-payments").state());
        assertEquals(PolicyStatus.State.Unsupported, east.get("AccessPolicy/no-batch").state());
        assertEquals(PolicyStatus.State.NoMatch, statuses("access", "west").get("AccessPolicy/no-batch").state());
        assertEquals(null, statuses("access", "west").get("AccessPolicy/lockdown"));
    }

    @Test
    void aTargetWithoutACatalogIsRefused() throws Exception {
        PolicyGoldenFiles.Case c = PolicyGoldenFiles.load(PolicyGoldenFiles.ROOT.resolve("access"));
        FederationConfig east = c.federation("east");
        InvalidSpecException e = assertThrows(InvalidSpecException.class, () -> new PolicyTranslator().translate(
                c.policies(), c.catalogs().subList(1, 2), east));
        assertEquals("targetCluster: cluster 'east' has no catalog among the 1 given", e.getMessage());
    }

    @Test
    void twoPoliciesOfOneNameAreRefused() throws Exception {
        TrafficPolicy p = PolicyGoldenFiles.load(PolicyGoldenFiles.ROOT.resolve("traffic-features")).policies()
                .traffic().get(0);
        InvalidSpecException e = assertThrows(InvalidSpecException.class,
                () -> new PolicySet(List.of(p, p), List.of()));
        assertEquals("traffic: two TrafficPolicies named " + p.name(), e.getMessage());
    }

    @Test
    void noPoliciesAddNothing() {
        PolicyGoldenFiles.Case c = PolicyGoldenFiles.load(PolicyGoldenFiles.ROOT.resolve("traffic-features"));
        PolicyConfig none = new PolicyTranslator().translate(PolicySet.EMPTY, c.catalogs(), c.federation("east"));
        assertEquals(new PolicyConfig("east", List.of(), List.of(), List.of(), List.of(), List.of()), none);
    }
}
