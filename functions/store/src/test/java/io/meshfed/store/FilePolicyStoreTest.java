package io.meshfed.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.model.policy.PolicyStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePolicyStoreTest {

    @Test
    void readsEveryDocumentAndListsWhatIsWrongWithTheRest(@TempDir Path state) throws Exception {
        FilePolicyStore store = new FilePolicyStore(state);
        assertEquals(PolicyStore.Stored.EMPTY, store.list(), "nothing stored yet");
        assertTrue(!Files.exists(store.directory()), "reading writes nothing");
        Files.createDirectories(store.directory());
        Files.writeString(store.directory().resolve("shop.yaml"), """
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: cart}
                spec:
                  destination: {namespace: shop, service: cart}
                  timeout: 2s
                ---
                apiVersion: meshfed.io/v1alpha1
                kind: AccessPolicy
                metadata: {name: lockdown}
                spec: {defaultDeny: true}
                ---
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: broken}
                spec:
                  destination: {namespace: shop}
                  trafficShift: [{cluster: east, weight: 10}]
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: not-ours}
                """);
        Files.writeString(store.directory().resolve("typo.yaml"), """
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: typo}
                spec: {destination: {namespace: shop}, timeuot: 2s}
                """);
        Files.writeString(store.directory().resolve("notes.txt"), "not a policy");
        PolicyStore.Stored stored = store.list();
        assertEquals(List.of("cart"), stored.traffic().stream().map(p -> p.name()).toList());
        assertEquals(List.of("lockdown"), stored.access().stream().map(p -> p.name()).toList());
        assertEquals(List.of("TrafficPolicy/broken", "VirtualService/not-ours", "TrafficPolicy/typo"),
                stored.invalid().stream().map(PolicyStore.Invalid::ref).toList());
        assertEquals("weights must add up to 100, got 10", stored.invalid().get(0).violations().get(0).message());
        assertTrue(stored.invalid().get(2).violations().get(0).message().contains("timeuot"),
                stored.invalid().get(2).toString());
    }

    @Test
    void aPolicyWrittenTwiceIsUsedNeither(@TempDir Path state) throws Exception {
        FilePolicyStore store = new FilePolicyStore(state);
        Files.createDirectories(store.directory());
        String doc = """
                apiVersion: meshfed.io/v1alpha1
                kind: TrafficPolicy
                metadata: {name: cart}
                spec: {destination: {namespace: shop}, timeout: 2s}
                """;
        Files.writeString(store.directory().resolve("a.yaml"), doc);
        Files.writeString(store.directory().resolve("b.yaml"), doc);
        PolicyStore.Stored stored = store.list();
        assertEquals(List.of(), stored.traffic());
        assertEquals("TrafficPolicy/cart", stored.invalid().get(0).ref());
    }

    @Test
    void statusesAreWrittenAndReadBack(@TempDir Path state) {
        FilePolicyStore store = new FilePolicyStore(state);
        List<PolicyStatus> east = List.of(new PolicyStatus("TrafficPolicy/cart", "east", PolicyStatus.State.Conflict,
                List.of("shop/cart"), List.of("shop/cart: timeout is set by TrafficPolicy/a already")));
        store.writeStatus("TrafficPolicy", "cart", east);
        store.writeStatus("TrafficPolicy", "cart", east);
        assertEquals(Map.of("TrafficPolicy/cart", east), store.statuses());
        assertEquals(Map.of(), new FilePolicyStore(state.resolve("other")).statuses());
    }
}
