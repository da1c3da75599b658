package io.meshfed.model.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.ModelJson;
import io.meshfed.model.Violation;
import java.util.List;
import org.junit.jupiter.api.Test;

class PolicyValidationTest {

    private static TrafficPolicy traffic(String specJson) throws Exception {
        return new TrafficPolicy("p", ModelJson.mapper().readValue(specJson, TrafficPolicy.Spec.class));
    }

    private static List<Violation> trafficViolations(String specJson) throws Exception {
        return assertThrows(InvalidSpecException.class, () -> traffic(specJson)).violations();
    }

    private static List<Violation> accessViolations(String specJson) throws Exception {
        AccessPolicy.Spec spec = ModelJson.mapper().readValue(specJson, AccessPolicy.Spec.class);
        return assertThrows(InvalidSpecException.class, () -> new AccessPolicy("a", spec)).violations();
    }

    @Test
    void aFullTrafficPolicyIsValidAndListsItsFields() throws Exception {
        TrafficPolicy p = traffic("""
                {"destination": {"namespace": "shop", "service": "cart", "exportedBy": ["west", "east"]},
                 "applyTo": ["west", "east", "east"], "timeout": "2s",
                 "retries": {"attempts": 2, "perTryTimeout": "500ms", "retryOn": ["unavailable", "503"]},
                 "retryBudget": {"percent": 20, "minRetryConcurrency": 3},
                 "hedging": {"initialRequests": 2, "hedgeOnPerTryTimeout": true},
                 "trafficShift": [{"cluster": "east", "weight": 10}, {"cluster": "west", "weight": 90}],
                 "mirror": {"cluster": "west", "percent": 5},
                 "fault": {"abort": {"percent": 50, "grpcStatus": "UNAVAILABLE"}, "delay": {"percent": 1, "fixedDelay": "1s"}},
                 "outlierDetection": {"consecutiveErrors": 3, "interval": "5s", "baseEjectionTime": "1m", "maxEjectionPercent": 100},
                 "connectionPool": {"maxConnections": 10},
                 "failover": [{"from": "us-east", "to": "us-west"}]}""");
        assertEquals(TrafficPolicy.FIELDS, p.spec().fields());
        assertEquals(List.of("east", "west"), p.spec().applyTo(), "sorted, no duplicates");
        assertEquals(List.of("east", "west"), p.spec().destination().exportedBy());
        assertEquals(p, new TrafficPolicy("p", ModelJson.mapper().readValue(
                ModelJson.mapper().writeValueAsString(p.spec()), TrafficPolicy.Spec.class)), "JSON round trip");
    }

    @Test
    void everyBrokenTrafficRuleIsNamedByItsField() throws Exception {
        List<Violation> v = trafficViolations("""
                {"destination": {"namespace": "Shop"}, "applyTo": ["East"], "timeout": "2 seconds",
                 "retries": {"attempts": 11, "retryOn": ["sometimes"]},
                 "trafficShift": [{"cluster": "east", "weight": 10}, {"cluster": "east", "weight": 80}],
                 "mirror": {"cluster": "west", "percent": 0},
                 "fault": {"abort": {"percent": 50, "httpStatus": 503, "grpcStatus": "UNAVAILABLE"}},
                 "failover": [{"from": "us-east", "to": "us-east"}]}""");
        List<String> fields = v.stream().map(Violation::field).toList();
        assertEquals(List.of("spec.destination.namespace", "spec.applyTo[0]", "spec.timeout", "spec.retries.attempts",
                "spec.retries.retryOn[0]", "spec.trafficShift[1].cluster", "spec.trafficShift", "spec.mirror.percent",
                "spec.fault.abort", "spec.failover[0]"), fields, v.toString());
        assertTrue(v.get(6).message().contains("add up to 100, got 90"), v.get(6).message());
        assertTrue(v.get(2).message().contains("'2 seconds'"), v.get(2).message());
    }

    @Test
    void combinationsThatCannotWorkAreRefused() throws Exception {
        assertEquals(List.of(new Violation("spec.retries.perTryTimeout",
                "must be shorter than spec.timeout (1s), or no retry could ever start, got '2s'")),
                trafficViolations("""
                        {"destination": {"namespace": "shop"}, "timeout": "1s",
                         "retries": {"attempts": 2, "perTryTimeout": "2s"}}"""));
        assertEquals(List.of("spec.retryBudget.percent", "spec.hedging.hedgeOnPerTryTimeout"), trafficViolations("""
                {"destination": {"namespace": "shop"}, "retryBudget": {"percent": 120},
                 "hedging": {"hedgeOnPerTryTimeout": true}}""").stream().map(Violation::field).toList());
        assertEquals(List.of(new Violation("spec", "sets nothing: give at least one of " + TrafficPolicy.FIELDS)),
                trafficViolations("{\"destination\": {\"namespace\": \"shop\"}}"));
        assertEquals(List.of(new Violation("spec.destination",
                "is required: name at least the namespace of the services")),
                trafficViolations("{\"timeout\": \"1s\"}"));
    }

    @Test
    void unknownFieldsAndWrongTypesAreRefusedByTheMapper() {
        assertThrows(com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException.class,
                () -> traffic("{\"destination\": {\"namespace\": \"shop\"}, \"timeuot\": \"1s\"}"));
        assertThrows(com.fasterxml.jackson.databind.exc.MismatchedInputException.class,
                () -> traffic("{\"destination\": {\"namespace\": \"shop\"}, \"trafficShift\": [{\"cluster\": \"e\", \"weight\": \"10\"}]}"));
    }

    @Test
    void accessPolicies() throws Exception {
        AccessPolicy ok = new AccessPolicy("payments", ModelJson.mapper().readValue("""
                {"destination": {"namespace": "shop", "service": "payments"},
                 "from": [{"spiffe": "spiffe://east.example.org/ns/web/sa/frontend"},
                          {"namespace": "web", "serviceAccount": "frontend"}],
                 "to": {"methods": ["GET"], "paths": ["/api/*"], "ports": [8080]}}""", AccessPolicy.Spec.class));
        assertEquals(AccessPolicy.Action.ALLOW, ok.spec().action(), "ALLOW unless told");
        AccessPolicy deny = new AccessPolicy("deny", ModelJson.mapper().readValue("{\"defaultDeny\": true}",
                AccessPolicy.Spec.class));
        assertEquals(null, deny.spec().action());

        assertEquals(List.of("spec.from[0].spiffe", "spec.from[1]", "spec.to.methods[0]",
                "spec.to.paths[0]", "spec.to.ports[0]"), accessViolations("""
                {"destination": {"namespace": "shop"},
                 "from": [{"spiffe": "spiffe://east/ns/web"}, {"spiffe": "spiffe://a.b/ns/x/sa/y", "namespace": "Web"}],
                 "to": {"methods": ["get"], "paths": ["api/*"], "ports": [0]}}""")
                .stream().map(Violation::field).toList());
        assertEquals(List.of("spec.defaultDeny"), accessViolations("""
                {"defaultDeny": true, "destination": {"namespace": "shop"}}""").stream().map(Violation::field).toList());
        assertEquals(List.of("spec.destination", "spec.from"), accessViolations("{}").stream().map(Violation::field)
                .toList());
    }

    @Test
    void durationsAreReadAsIstioWritesThem() {
        assertEquals(90_000L, PolicyRules.millis("1m30s").orElseThrow());
        assertEquals(250L, PolicyRules.millis("250ms").orElseThrow());
        assertEquals(1500L, PolicyRules.millis("1.5s").orElseThrow());
        assertTrue(PolicyRules.millis("1d").isEmpty());
        assertTrue(PolicyRules.millis("-1s").isEmpty());
    }
}
