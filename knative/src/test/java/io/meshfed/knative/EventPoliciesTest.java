package io.meshfed.knative;

import static io.meshfed.knative.BrokerAuthorization.serviceAccountSubject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.knative.eventing.v1.Broker;
import io.fabric8.knative.eventing.v1.SubscriptionsAPIFilter;
import io.fabric8.knative.eventing.v1.Trigger;
import io.fabric8.knative.eventing.v1alpha1.EventPolicy;
import io.fabric8.knative.eventing.v1alpha1.EventPolicySpecFrom;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.knative.sources.v1.PingSource;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.meshfed.knative.BrokerAuthorization.Request;
import io.meshfed.model.EventTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Broker's EventPolicies (manifests/eventing/policies/): every sender meshfed has is admitted for exactly the
 * event types it sends, and nothing else is. Evaluated with {@link BrokerAuthorization}, which decides as Knative's
 * Broker ingress does.
 */
class EventPoliciesTest {
    private static final String NS = "meshfed";
    private static final String OPERATOR = serviceAccountSubject(NS, "meshfed-operator");
    private static final String WORKLOAD_EVENTS = serviceAccountSubject(NS, ManifestsTest.WORKLOAD_EVENTS);
    private static final String WORKLOAD_EVENTS_SOURCE = "meshfed/workload-events";

    /** What each function replies (docs/events.md), and the CloudEvents source its replies carry. */
    private record Replies(String source, Set<String> types) {
    }

    private static final Map<String, Replies> REPLIES = Map.of(
            "functions/registration", new Replies("meshfed/registration", Set.of(EventTypes.CLUSTER_REGISTERED,
                    EventTypes.CLUSTER_REGISTRATION_REJECTED, EventTypes.CLUSTER_DEREGISTERED)),
            "functions/export", new Replies("meshfed/export",
                    Set.of(EventTypes.CATALOG_CHANGED, EventTypes.SERVICE_EXPORT_FAILED)),
            "pki-function/function", new Replies("meshfed/pki", Set.of(EventTypes.CSR_SIGNED, EventTypes.CSR_REJECTED)),
            "xds-bridge/app", new Replies(null, Set.of()),
            // No Trigger delivers to it: it posts its export syncs under its own identity.
            "functions/workload-events", new Replies(null, Set.of()));

    private static final Set<String> OPERATOR_TYPES = Set.of(EventTypes.CLUSTER_REGISTRATION_REQUESTED,
            EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, EventTypes.SERVICE_EXPORT_SYNC);
    private static final Set<String> APISERVER_TYPES = Set.of(EventTypes.APISERVER_RESOURCE_ADD,
            EventTypes.APISERVER_RESOURCE_UPDATE, EventTypes.APISERVER_RESOURCE_DELETE);
    private static final String PING_TYPE = "dev.knative.sources.ping";

    private final List<EventPolicy> policies = Manifests.of(EventPolicy.class);
    private final BrokerAuthorization broker = new BrokerAuthorization(policies, NS);

    @Test
    void everyPolicyAppliesToTheBrokerAloneAndIsEvaluable() {
        assertTrue(policies.size() >= 5, "operator, sources and replies: " + policies.size());
        Broker b = Manifests.of(Broker.class).get(0);
        Set<String> triggers = Manifests.triggers().stream().map(t -> t.getMetadata().getName())
                .collect(Collectors.toSet());
        for (EventPolicy p : policies) {
            String name = p.getMetadata().getName();
            // An empty `to` would apply the policy to every addressable of the namespace (the functions too).
            assertEquals(1, p.getSpec().getTo().size(), name + ": one target");
            var to = p.getSpec().getTo().get(0).getRef();
            assertNotNull(to, name + " names its target, not a selector");
            assertEquals(List.of("eventing.knative.dev/v1", "Broker", b.getMetadata().getName()),
                    List.of(to.getApiVersion(), to.getKind(), to.getName()), name);
            assertFalse(p.getSpec().getFrom().isEmpty(), name + " names its senders");
            assertFalse(p.getSpec().getFilters().isEmpty(), name + ": every sender is limited to its event types");
            for (EventPolicySpecFrom from : p.getSpec().getFrom()) {
                assertTrue(from.getRef() == null ^ from.getSub() == null, name + ": exactly one of ref and sub");
                if (from.getSub() != null) {
                    String sub = from.getSub();
                    assertTrue(sub.startsWith("system:serviceaccount:" + NS + ":"),
                            name + ": a subject of the management namespace, " + sub);
                    assertTrue(sub.indexOf('*') < 0 || sub.indexOf('*') == sub.length() - 1,
                            name + ": '*' only as a suffix (Knative's rule), " + sub);
                    assertTrue(!sub.endsWith("*") || sub.length() - 1 > ("system:serviceaccount:" + NS + ":").length(),
                            name + ": a pattern must not cover the whole namespace");
                } else {
                    assertEquals("Trigger", from.getRef().getKind(), name + ": refs are Triggers' reply identities");
                    assertNull(from.getRef().getNamespace(), name + ": the Trigger is in the policy's namespace");
                    assertTrue(triggers.contains(from.getRef().getName()),
                            name + " names a Trigger that is not shipped: " + from.getRef().getName());
                }
            }
            p.getSpec().getFilters().forEach(f -> assertNoCesql(name, f));
        }
    }

    @Test
    void noSubjectIsNamedByTwoPolicies() {
        // Knative decides by the first policy naming the subject; two would make the answer depend on list order.
        List<String> all = new ArrayList<>();
        for (EventPolicy p : policies) {
            for (String s : broker.subjects(p)) {
                all.add(s);
            }
        }
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                String a = all.get(i);
                String b = all.get(j);
                boolean overlap = a.endsWith("*") || b.endsWith("*")
                        ? BrokerAuthorization.matches(a, stripStar(b)) || BrokerAuthorization.matches(b, stripStar(a))
                        : a.equalsIgnoreCase(b);
                assertFalse(overlap, "subjects overlap: " + a + " and " + b);
            }
        }
    }

    @Test
    void operatorsMayRequestRegistrationDeregistrationAndSyncsOnly() {
        assertTrue(Manifests.of(ServiceAccount.class).stream()
                .anyMatch(a -> serviceAccountSubject(a.getMetadata().getNamespace(), a.getMetadata().getName())
                        .equals(OPERATOR)), "the operator's ServiceAccount is shipped (rbac/operator.yaml)");
        for (String type : OPERATOR_TYPES) {
            assertTrue(broker.admits(Request.of(OPERATOR, type, "meshfed/cli")), type);
        }
        for (String type : allTypes()) {
            if (!OPERATOR_TYPES.contains(type)) {
                assertFalse(broker.admits(Request.of(OPERATOR, type, "meshfed/cli")),
                        "an operator cannot forge " + type);
            }
        }
    }

    @Test
    void pingSourcesSendTheirOwnTypeFromTheirOwnPathOnly() {
        // The template and the names deploy.sh gives them, up to the longest cluster name it accepts (43): long
        // names get a hashed OIDC account, which must still match the policy's pattern.
        List<String> names = new ArrayList<>(Manifests.of(PingSource.class).stream()
                .map(p -> p.getMetadata().getName()).toList());
        names.add("meshfed-export-sync-east");
        names.add("meshfed-export-sync-" + "a".repeat(43));
        for (String name : names) {
            String subject = serviceAccountSubject(NS,
                    BrokerAuthorization.oidcServiceAccountName("sources.knative.dev", "PingSource", name));
            String source = "/apis/v1/namespaces/" + NS + "/pingsources/" + name;
            assertTrue(broker.admits(Request.of(subject, PING_TYPE, source)), name + " (" + subject + ")");
            assertFalse(broker.admits(Request.of(subject, PING_TYPE, "/apis/v1/namespaces/other/pingsources/x")),
                    name + ": only from its own source path");
            for (String type : allTypes()) {
                if (!type.equals(PING_TYPE)) {
                    assertFalse(broker.admits(Request.of(subject, type, source)), name + " cannot send " + type);
                }
            }
        }
        // Another PingSource in the namespace is refused (its events would reach export's sync by path).
        String stray = serviceAccountSubject(NS,
                BrokerAuthorization.oidcServiceAccountName("sources.knative.dev", "PingSource", "nightly"));
        assertFalse(broker.admits(Request.of(stray, PING_TYPE, "/apis/v1/namespaces/meshfed/pingsources/nightly")));
    }

    @Test
    void apiServerSourcesSendTheirThreeTypesOnly() {
        for (String name : List.of("meshfed-export-watch-east", "meshfed-export-watch-" + "b".repeat(43))) {
            String subject = serviceAccountSubject(NS,
                    BrokerAuthorization.oidcServiceAccountName("sources.knative.dev", "ApiServerSource", name));
            for (String type : APISERVER_TYPES) {
                assertTrue(broker.admits(Request.of(subject, type, "https://10.0.0.1:443")), name + " " + type);
            }
            for (String type : allTypes()) {
                if (!APISERVER_TYPES.contains(type)) {
                    assertFalse(broker.admits(Request.of(subject, type, "https://10.0.0.1:443")), name + " " + type);
                }
            }
        }
    }

    /**
     * The workload-events entry posts one thing, the export sync it makes for a workload event it admitted, with its
     * own source; with its identity nobody gets a registration, a deregistration, a CSR or a reply onto the Broker.
     */
    @Test
    void workloadEventsEntrySendsOnlyItsSyncFromItsSource() {
        assertTrue(Manifests.of(ServiceAccount.class).stream().anyMatch(a -> serviceAccountSubject(
                a.getMetadata().getNamespace(), a.getMetadata().getName()).equals(WORKLOAD_EVENTS)),
                "its ServiceAccount is shipped (rbac/workload-events.yaml)");
        assertTrue(broker.admits(Request.of(WORKLOAD_EVENTS, EventTypes.SERVICE_EXPORT_SYNC, WORKLOAD_EVENTS_SOURCE)));
        for (String source : List.of("meshfed/cli", "meshfed/export", "https://10.0.0.1:443", "meshfed/workload")) {
            assertFalse(broker.admits(Request.of(WORKLOAD_EVENTS, EventTypes.SERVICE_EXPORT_SYNC, source)),
                    "a sync with another source (" + source + ")");
        }
        for (String type : allTypes()) {
            if (!type.equals(EventTypes.SERVICE_EXPORT_SYNC)) {
                assertFalse(broker.admits(Request.of(WORKLOAD_EVENTS, type, WORKLOAD_EVENTS_SOURCE)),
                        "the workload-events entry cannot post " + type);
            }
        }
        assertEquals(1, broker.policiesAdmitting(WORKLOAD_EVENTS).size());
        // The source the policy requires is the one the function writes, once its code has landed.
        if (Files.isDirectory(Manifests.ROOT.resolve("functions/workload-events/src/main/java"))) {
            assertTrue(mainSourcesContain("functions/workload-events", "\"" + WORKLOAD_EVENTS_SOURCE + "\""),
                    "functions/workload-events no longer posts with source " + WORKLOAD_EVENTS_SOURCE);
        }
    }

    /** Every Trigger's reply identity may post its function's reply types with its source, and nothing else. */
    @Test
    void everyTriggerRepliesWithItsFunctionsReplyTypesOnly() {
        Map<String, String> moduleOf = Manifests.of(Service.class).stream().collect(Collectors.toMap(
                s -> s.getMetadata().getName(), s -> s.getMetadata().getAnnotations().get("meshfed.io/module")));
        assertEquals(REPLIES.keySet(), Set.copyOf(moduleOf.values()), "a reply table entry per function module");
        for (Trigger t : Manifests.triggers()) {
            String module = moduleOf.get(subscriberService(t));
            Replies replies = REPLIES.get(module);
            String subject = serviceAccountSubject(NS, BrokerAuthorization.oidcServiceAccountName(
                    "eventing.knative.dev", "Trigger", t.getMetadata().getName()));
            String name = t.getMetadata().getName();
            for (String type : allTypes()) {
                boolean expected = replies.types().contains(type);
                assertEquals(expected, broker.admits(Request.of(subject, type, String.valueOf(replies.source()))),
                        name + " (" + module + ") " + (expected ? "must" : "must not") + " be able to post " + type);
            }
            for (String type : replies.types()) {
                assertFalse(broker.admits(Request.of(subject, type, "meshfed/other")),
                        name + ": replies carry " + module + "'s own source");
            }
        }
        // The sources the policies require are the ones the functions write (a literal in their main code).
        for (var e : REPLIES.entrySet()) {
            if (e.getValue().source() != null) {
                assertTrue(mainSourcesContain(e.getKey(), "\"" + e.getValue().source() + "\""),
                        e.getKey() + " no longer replies with source " + e.getValue().source());
            }
        }
    }

    @Test
    void nobodyElseReachesTheBroker() {
        List<String> strangers = new ArrayList<>(List.of(
                serviceAccountSubject(NS, "default"),
                // The functions' own identities: they reply through their Triggers, never post directly.
                serviceAccountSubject(NS, "meshfed-registration"),
                serviceAccountSubject(NS, "meshfed-export"),
                serviceAccountSubject(NS, "meshfed-pki"),
                serviceAccountSubject(NS, "meshfed-xds-bridge"),
                // A workload cluster's ApiServerSource identity (its issuer is not the Broker's either): it reaches
                // meshfed through the workload-events entry only.
                serviceAccountSubject("meshfed-system", BrokerAuthorization.oidcServiceAccountName(
                        "sources.knative.dev", "ApiServerSource", "meshfed-export-watch")),
                serviceAccountSubject("meshfed-system", "meshfed-export-watch"),
                serviceAccountSubject("istio-system", "meshfed-csr-agent"),
                serviceAccountSubject("other", "meshfed-operator"),
                serviceAccountSubject(NS, "meshfed-operator-2")));
        for (String subject : strangers) {
            for (String type : allTypes()) {
                assertFalse(broker.admits(Request.of(subject, type, "anything")), subject + " posted " + type);
            }
        }
        // csr.submitted enters through no Broker sender: agents call the PKI function with their own token.
        for (EventPolicy p : policies) {
            for (String s : broker.subjects(p)) {
                String sender = s.endsWith("*") ? stripStar(s) + "x" : s;
                assertFalse(broker.admits(Request.of(sender, EventTypes.CSR_SUBMITTED, "meshfed/cli")),
                        p.getMetadata().getName() + " admits csr.submitted");
            }
        }
    }

    private static String subscriberService(Trigger t) {
        var s = t.getSpec().getSubscriber();
        if (s.getRef() != null) {
            return s.getRef().getName();
        }
        String host = java.net.URI.create(s.getUri()).getHost();
        return host.substring(0, host.indexOf('.'));
    }

    private static String stripStar(String s) {
        return s.endsWith("*") ? s.substring(0, s.length() - 1) : s;
    }

    private static void assertNoCesql(String policy, SubscriptionsAPIFilter f) {
        assertNull(f.getCesql(), policy + ": CESQL cannot be checked by these tests; use exact/prefix/any");
        Stream.concat(f.getAll() == null ? Stream.empty() : f.getAll().stream(),
                f.getAny() == null ? Stream.empty() : f.getAny().stream()).forEach(g -> assertNoCesql(policy, g));
        if (f.getNot() != null) {
            assertNoCesql(policy, f.getNot());
        }
    }

    /** Every type of EventTypes plus the PingSource's: what a sender could try to post. */
    private static Set<String> allTypes() {
        Set<String> out = new TreeSet<>(ManifestsTest.knownEventTypes());
        out.add(PING_TYPE);
        return out;
    }

    private static boolean mainSourcesContain(String module, String literal) {
        Path dir = Manifests.ROOT.resolve(module).resolve("src/main/java");
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".java")).anyMatch(p -> Manifests.read(p).contains(literal));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
