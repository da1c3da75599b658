package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.FileClusterStore;
import io.meshfed.store.KubernetesClusterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshfed cluster list} reads what the registration function wrote: the local mode's state directory
 * (written here by {@link FileClusterStore}) and MeshCluster resources on fabric8's CRUD mock server (written by
 * {@link KubernetesClusterStore}); a real kube-apiserver cannot run here.
 */
class ClusterListTest {
    private static final ClusterCredentials TOKEN = ClusterCredentials.ofToken("secret-token");

    @TempDir
    Path state;

    static MeshCluster east() {
        return new MeshCluster("east", "net-east", new Locality("us-east1", "us-east1-b"),
                new GatewayAddress("34.120.10.1", 15443), "east.meshfed.example",
                new ApiServerRef("https://34.120.0.5:6443", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                        KubernetesClusterStore.credentialsSecretName("east", TOKEN)));
    }

    static MeshCluster west() {
        return new MeshCluster("west", "net-west", Locality.of("eu-west1"), new GatewayAddress("west-gw.example", 15443),
                "west.meshfed.example", null);
    }

    private static void register(ClusterStore store) {
        store.put(west(), Optional.empty());
        store.put(east(), Optional.of(TOKEN));
        store.put(new MeshCluster("east", "net-east", new Locality("us-east1", "us-east1-c"),
                new GatewayAddress("34.120.10.1", 15443), "east.meshfed.example", east().apiServer()),
                Optional.of(TOKEN));
    }

    private static final String TABLE = """
            NAME  NETWORK   REGION    ZONE        GATEWAY                TRUST-DOMAIN          API-SERVER               GENERATION
            east  net-east  us-east1  us-east1-c  34.120.10.1:15443      east.meshfed.example  https://34.120.0.5:6443  2
            west  net-west  eu-west1  -           west-gw.example:15443  west.meshfed.example  none                     1
            """;

    @Test
    void listsTheLocalStateDirectory() throws Exception {
        register(new FileClusterStore(state));
        Cli cli = new Cli();

        Cli.Run table = cli.run("cluster", "list", "--state-dir", state.toString());
        Cli.Run json = cli.run("--state-dir", state.toString(), "-o", "json", "cluster", "list");

        assertEquals(0, table.exitCode(), table.err());
        assertEquals(TABLE, table.out());
        assertEquals(0, json.exitCode(), json.err());
        var clusters = Output.JSON.readTree(json.out()).get("clusters");
        assertEquals(2, clusters.size());
        assertEquals("east", clusters.get(0).get("name").asText());
        assertEquals(2, clusters.get(0).get("generation").asInt());
        assertEquals("us-east1-c", clusters.get(0).get("locality").get("zone").asText());
        assertEquals(KubernetesClusterStore.credentialsSecretName("east", TOKEN),
                clusters.get(0).get("apiServer").get("credentialsSecret").asText());
        assertFalse(json.out().contains("secret-token"), "credentials are never printed");
        assertFalse(clusters.get(1).has("apiServer"));
        Cli.Run fromEnv = new Cli(Map.of("MESHFED_STATE_DIR", state.toString()), () -> {
            throw new AssertionError("the state directory is read, not the management cluster");
        }).run("cluster", "list");
        assertEquals(TABLE, fromEnv.out(), fromEnv.err());
    }

    @Test
    void aDamagedStateFileIsReportedByName() throws Exception {
        register(new FileClusterStore(state));
        Files.writeString(state.resolve("clusters").resolve("north.json"), "{\"cluster\": {\"name\": ");

        Cli.Run run = new Cli().run("cluster", "list", "--state-dir", state.toString());

        assertEquals(ExitCodes.UNREACHABLE, run.exitCode());
        assertEquals("", run.out());
        assertTrue(run.err().startsWith("meshfed: cannot read clusters from " + state + ": cannot read "
                + state.resolve("clusters").resolve("north.json")), run.err());
    }

    @Test
    void emptyAndMissingStateDirectories() {
        Cli cli = new Cli();

        Cli.Run empty = cli.run("cluster", "list", "--state-dir", state.toString());
        Cli.Run missing = cli.run("cluster", "list", "--state-dir", state.resolve("nope").toString());

        assertEquals(0, empty.exitCode(), empty.err());
        assertEquals("no clusters registered\n", empty.out());
        assertFalse(Files.exists(state.resolve("clusters")), "listing writes nothing");
        assertEquals(ExitCodes.UNREACHABLE, missing.exitCode());
        assertEquals("meshfed: state directory " + state.resolve("nope") + " does not exist\n", missing.err());
    }

    @Test
    void listsMeshClusterResourcesOfTheManagementCluster() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), true);
        server.init();
        try (KubernetesClient writer = server.createClient()) {
            register(new KubernetesClusterStore(writer, "meshfed"));
            Cli cli = new Cli(Map.of(), server::createClient);

            Cli.Run table = cli.run("cluster", "list");
            Cli.Run otherNamespace = cli.run("cluster", "list", "-n", "elsewhere");

            assertEquals(0, table.exitCode(), table.err());
            assertEquals(TABLE, table.out());
            assertEquals(0, otherNamespace.exitCode(), otherNamespace.err());
            assertEquals("no clusters registered\n", otherNamespace.out());
        } finally {
            server.destroy();
        }
    }

    @Test
    void anUnreachableManagementClusterNamesTheWayOut() {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), true);
        server.init();
        KubernetesClient template = server.createClient();
        String master = template.getConfiguration().getMasterUrl();
        template.close();
        server.destroy();
        Cli cli = new Cli(Map.of(), () -> new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder().withMasterUrl(master)
                        .withTrustCerts(true).withRequestRetryBackoffLimit(0).withConnectionTimeout(2000).build())
                .build());

        Cli.Run run = cli.run("cluster", "list");
        Cli.Run pki = cli.run("pki", "status");

        assertEquals(ExitCodes.UNREACHABLE, run.exitCode());
        assertTrue(run.err().startsWith("meshfed: cannot list MeshClusters in namespace meshfed at " + master),
                run.err());
        assertTrue(run.err().endsWith(" (in-cluster credentials): ConnectException: Connection refused; for local mode "
                + "give --state-dir\n"), run.err());
        assertEquals(ExitCodes.UNREACHABLE, pki.exitCode());
        assertTrue(pki.err().startsWith("meshfed: cannot read ConfigMap meshfed-pki/meshfed-pki-ca-public at " + master), pki.err());
    }
}
