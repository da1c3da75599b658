package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.ca.FileCaStore;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.KubernetesCaStore;
import io.meshfed.pki.ca.RootCa;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshfed pki status} reads CA state written by the PKI function's own stores ({@link FileCaStore} in a
 * local state directory, {@link KubernetesCaStore} as a Secret on fabric8's CRUD mock server) through each
 * rotation phase.
 */
class PkiStatusTest {
    private static final Clock CLOCK = Clock.systemUTC();

    @TempDir
    Path state;

    private static CertificateAuthority root(String name) {
        return RootCa.generate(KeyAlgorithm.ECDSA_P256, name, Duration.ofDays(365), CLOCK, new SecureRandom());
    }

    @Test
    void followsARotationInTheLocalStateDirectory() throws Exception {
        FileCaStore store = new FileCaStore(state.resolve("pki").resolve("ca.json"), CLOCK);
        CertificateAuthority first = root("meshfed root A");
        CertificateAuthority second = root("meshfed root B");
        String a = Certificates.fingerprint(first.certificate());
        String b = Certificates.fingerprint(second.certificate());
        Cli cli = new Cli();

        store.initialize(CaState.of(first));
        Cli.Run stable = cli.run("pki", "status", "--state-dir", state.toString());
        var read = store.read().orElseThrow();
        store.save(read.state().introduce(second), read.version());
        Cli.Run introduced = cli.run("pki", "status", "--state-dir", state.toString(), "-o", "json");
        read = store.read().orElseThrow();
        store.save(read.state().activate(), read.version());
        Cli.Run activated = cli.run("pki", "status", "--state-dir", state.toString(), "-o", "json");

        assertEquals(0, stable.exitCode(), stable.err());
        String notAfter = first.certificate().getNotAfter().toInstant().toString();
        assertEquals("""
                source: %1$s
                phase:  stable
                signer: CN=meshfed root A,O=meshfed sha256=%2$s notAfter=%3$s
                next:   -

                TRUSTED ROOT SHA256                                               SUBJECT                      NOT-AFTER             ACTIVE
                %2$s  CN=meshfed root A,O=meshfed  %3$s  yes
                """.formatted(state.resolve("pki").resolve("ca.json"), a, notAfter), stable.out());

        JsonNode during = Output.JSON.readTree(introduced.out());
        assertEquals("introduced", during.get("phase").asText());
        assertEquals(a, during.get("signer").get("sha256").asText());
        assertEquals(b, during.get("next").get("sha256").asText());
        assertEquals(2, during.get("trustedRoots").size());
        assertTrue(during.get("trustedRoots").get(0).get("active").asBoolean());
        assertFalse(during.get("trustedRoots").get(1).get("active").asBoolean());

        JsonNode after = Output.JSON.readTree(activated.out());
        assertEquals("activated", after.get("phase").asText());
        assertEquals(b, after.get("signer").get("sha256").asText());
        assertTrue(after.get("next").isNull());
        assertEquals(b, after.get("trustedRoots").get(0).get("sha256").asText());
        assertTrue(after.get("trustedRoots").get(0).get("active").asBoolean());
        assertEquals(a, after.get("trustedRoots").get(1).get("sha256").asText());
        for (Cli.Run run : new Cli.Run[] {stable, introduced, activated}) {
            assertFalse(run.out().contains("PRIVATE KEY"), "key material is never printed");
        }
    }

    @Test
    void readsThePublicCopyOfTheCaStateNeverTheSecret() throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), true);
        server.init();
        try (KubernetesClient writer = server.createClient()) {
            CertificateAuthority first = root("meshfed root K");
            new KubernetesCaStore(writer, "meshfed-pki", KubernetesCaStore.DEFAULT_NAME, CLOCK).initialize(CaState.of(first));
            // status reads the public copy only: it works without the Secret that holds the key
            writer.secrets().inNamespace("meshfed-pki").withName(KubernetesCaStore.DEFAULT_NAME).delete();
            Cli cli = new Cli(Map.of(), server::createClient);

            Cli.Run yaml = cli.run("pki", "status", "-o", "yaml");
            Cli.Run otherSecret = cli.run("pki", "status", "--secret", "nope");

            assertEquals(0, yaml.exitCode(), yaml.err());
            JsonNode status = Output.YAML.readTree(yaml.out());
            assertEquals("ConfigMap meshfed-pki/meshfed-pki-ca-public", status.get("source").asText());
            assertEquals("stable", status.get("phase").asText());
            assertEquals(Certificates.fingerprint(first.certificate()), status.get("signer").get("sha256").asText());
            assertEquals("CN=meshfed root K,O=meshfed", status.get("signer").get("subject").asText());
            assertEquals(ExitCodes.NOT_FOUND, otherSecret.exitCode());
            assertEquals("meshfed: no CA state in ConfigMap meshfed-pki/nope-public: the PKI function creates it on its first start\n",
                    otherSecret.err());
        } finally {
            server.destroy();
        }
    }

    @Test
    void noStateIsNotFound() {
        Cli.Run run = new Cli().run("pki", "status", "--state-dir", state.toString());

        assertEquals(ExitCodes.NOT_FOUND, run.exitCode());
        assertEquals("meshfed: no CA state in " + state.resolve("pki").resolve("ca.json")
                + ": the PKI function creates it on its first start\n", run.err());
    }
}
