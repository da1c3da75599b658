package io.meshfed.pki.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.meshfed.pki.testing.TestPki;
import io.meshfed.store.ConcurrentChangeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA state survives a round trip through the Kubernetes Secret (CRUD mock server) and the 0600 file. */
@EnableKubernetesMockClient(crud = true)
class CaStoresTest {
    static KubernetesClient client;

    @TempDir
    Path dir;

    private static CaState rotatingState() {
        return CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "old root"))
                .introduce(TestPki.root(KeyAlgorithm.ECDSA_P256, "new root"));
    }

    private static void assertSameState(CaState expected, CaState actual) {
        assertEquals(expected.signer().fingerprint(), actual.signer().fingerprint());
        assertEquals(expected.next().orElseThrow().fingerprint(), actual.next().orElseThrow().fingerprint());
        assertEquals(expected.trustBundlePem(), actual.trustBundlePem());
    }

    @Test
    void kubernetesSecretRoundTrip() {
        KubernetesCaStore store = new KubernetesCaStore(client, "meshfed", KubernetesCaStore.DEFAULT_NAME,
                Clock.systemUTC());
        assertTrue(store.load().isEmpty());
        CaState state = rotatingState();
        store.initialize(state);
        Secret secret = client.secrets().inNamespace("meshfed").withName("meshfed-pki-ca").get();
        assertEquals(Set.of("signer-key.pem", "signer-chain.pem", "next-key.pem", "next-chain.pem",
                "trust-bundle.pem"), secret.getData().keySet());
        CaStore.Versioned read = store.read().orElseThrow();
        CaState loaded = read.state();
        assertSameState(state, loaded);
        assertSame(loaded, store.load().orElseThrow(), "unchanged Secret: parsed state reused");

        CaState activated = loaded.activate();
        store.save(activated, read.version());
        assertEquals(activated.signer().fingerprint(), store.load().orElseThrow().signer().fingerprint());

        // The public copy: certificates only, following every save.
        var copy = client.configMaps().inNamespace("meshfed").withName("meshfed-pki-ca-public").get();
        assertEquals(Set.of("signer-chain.pem", "trust-bundle.pem"), copy.getData().keySet(), "activated: no next");
        assertFalse(copy.getData().values().stream().anyMatch(v -> v.contains("PRIVATE KEY")));
        assertEquals(Pems.encodeCertificates(activated.signer().chain()), copy.getData().get("signer-chain.pem"));
        assertEquals(client.secrets().inNamespace("meshfed").withName("meshfed-pki-ca").get().getMetadata()
                .getResourceVersion(), copy.getMetadata().getAnnotations().get(KubernetesCaStore.SOURCE_VERSION));

        client.configMaps().inNamespace("meshfed").withName("meshfed-pki-ca-public").delete();
        store.publish();
        assertEquals(Pems.encodeCertificates(activated.signer().chain()), client.configMaps().inNamespace("meshfed")
                .withName("meshfed-pki-ca-public").get().getData().get("signer-chain.pem"), "a lost copy is rewritten");
    }

    @Test
    void fileStoreIsOwnerOnlyAndRoundTrips() throws Exception {
        Path file = dir.resolve("pki/ca.json");
        FileCaStore store = new FileCaStore(file, Clock.systemUTC());
        assertTrue(store.load().isEmpty());
        CaState state = rotatingState();
        store.initialize(state);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertSameState(state, new FileCaStore(file, Clock.systemUTC()).load().orElseThrow());

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        InvalidCaMaterialException open = assertThrows(InvalidCaMaterialException.class, store::load);
        assertTrue(open.getMessage().contains("must be 0600"), open.getMessage());
    }

    @Test
    void privateKeyNeverAppearsInToStringOrErrors() {
        CertificateAuthority ca = TestPki.root(KeyAlgorithm.ECDSA_P256, "root");
        String keyPem = Pems.encodePrivateKey(ca.privateKey());
        String body = keyPem.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        assertFalse(ca.toString().contains(body));
        assertFalse(CaState.of(ca).toString().contains(body));
        assertFalse(ca.signingKey(null).toString().contains(body));
        String corrupted = keyPem.replace(body, body.substring(0, 20) + "!!" + body.substring(22));
        InvalidCaMaterialException e = assertThrows(InvalidCaMaterialException.class,
                () -> CertificateAuthority.fromPem(corrupted, Pems.encode(ca.certificate()), Clock.systemUTC()));
        assertFalse(e.getMessage().contains(body.substring(0, 20)), e.getMessage());
    }

    @Test
    void rotationStatesKeepBothRootsUntilRetired() {
        CertificateAuthority oldRoot = TestPki.root(KeyAlgorithm.ECDSA_P256, "old");
        CertificateAuthority newRoot = TestPki.root(KeyAlgorithm.RSA_4096, "new");
        CaState introduced = CaState.of(oldRoot).introduce(newRoot);
        assertEquals(oldRoot, introduced.signer());
        assertEquals(2, introduced.trustedRoots().size());
        assertEquals(oldRoot.root(), introduced.trustedRoots().get(0), "active root first");
        CaState activated = introduced.activate();
        assertEquals(newRoot, activated.signer());
        assertEquals(newRoot.root(), activated.trustedRoots().get(0));
        assertEquals(2, activated.trustedRoots().size());
        CaState retired = activated.retire();
        assertEquals(java.util.List.of(newRoot.root()), retired.trustedRoots());
        assertThrows(IllegalStateException.class, retired::activate);
        assertThrows(IllegalStateException.class, () -> introduced.introduce(oldRoot));
    }

    @Test
    void kubernetesSaveLosesToAWriteSinceItsRead() throws Exception {
        KubernetesCaStore store = new KubernetesCaStore(client, "meshfed", "cas-test", Clock.systemUTC());
        store.initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "root")));
        assertConcurrentRotationsLandOnce(store, () -> new KubernetesCaStore(client, "meshfed", "cas-test",
                Clock.systemUTC()));
    }

    @Test
    void fileSaveLosesToAWriteSinceItsRead() throws Exception {
        Path file = dir.resolve("pki/ca.json");
        FileCaStore store = new FileCaStore(file, Clock.systemUTC());
        store.initialize(CaState.of(TestPki.root(KeyAlgorithm.ECDSA_P256, "root")));
        assertConcurrentRotationsLandOnce(store, () -> new FileCaStore(file, Clock.systemUTC()));
    }

    /**
     * Two operators introduce a next root from the same read: the first save lands, the second is refused with
     * {@link ConcurrentChangeException} and leaves the first's state; then many rotations race from one read and
     * exactly one lands.
     */
    private static void assertConcurrentRotationsLandOnce(CaStore store, java.util.function.Supplier<CaStore> another)
            throws InterruptedException {
        CaStore.Versioned read = store.read().orElseThrow();
        CaStore.Versioned sameRead = another.get().read().orElseThrow();
        CaState mine = read.state().introduce(TestPki.root(KeyAlgorithm.ECDSA_P256, "mine"));
        CaState theirs = sameRead.state().introduce(TestPki.root(KeyAlgorithm.ECDSA_P256, "theirs"));
        store.save(mine, read.version());
        ConcurrentChangeException conflict = assertThrows(ConcurrentChangeException.class,
                () -> another.get().save(theirs, sameRead.version()));
        assertTrue(conflict.getMessage().contains("re-read"), conflict.getMessage());
        assertEquals(mine.next().orElseThrow().fingerprint(),
                another.get().load().orElseThrow().next().orElseThrow().fingerprint());

        CaStore.Versioned before = store.read().orElseThrow();
        int racers = 8;
        List<RacingSaves.Racer> all = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            all.add(new RacingSaves.Racer(another.get(), before.state().activate()));
        }
        RacingSaves race = RacingSaves.run(all, before.version());
        assertEquals(1, race.landed(), "exactly one of the racing saves lands");
        assertEquals(racers - 1, race.refused());
    }
}
