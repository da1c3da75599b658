package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Local mode keeps its state in one directory and a restart loses nothing: the bridge serves the stored federation
 * before anything is registered again, the root CA is the same, and each agent keeps its installed intermediate
 * (no second signature).
 */
class LocalMeshRestartTest {

    static LocalMesh start(Path state, List<String> progress) throws Exception {
        return LocalMesh.start(new LocalMesh.Settings(state, LocalModeFilesTest.TRIGGERS, "127.0.0.1", 0, 0,
                ExampleCluster.loadAll(Path.of("../examples/two-clusters")), null), progress::add);
    }

    static List<String> names(List<? extends HasMetadata> objects) {
        return objects.stream().map(o -> o.getMetadata().getNamespace() + "/" + o.getMetadata().getName()).toList();
    }

    @Test
    void aRestartServesTheStoredFederationAndSignsNothingAgain(@TempDir Path state) throws Exception {
        List<String> first = Collections.synchronizedList(new ArrayList<>());
        List<String> entries;
        String eastCaCert;
        String root;
        try (LocalMesh mesh = start(state, first)) {
            assertEquals(Map.of("east", "io.meshfed.cluster.registered", "west", "io.meshfed.cluster.registered"),
                    mesh.registerExamples());
            assertTrue(mesh.runAgent("east").isPresent());
            assertTrue(mesh.runAgent("west").isPresent());
            entries = names(mesh.istiodConfig("east").serviceEntries());
            eastCaCert = Files.readString(mesh.caCertsDir("east").resolve("ca-cert.pem"));
            root = Files.readString(mesh.caCertsDir("east").resolve("root-cert.pem"));
        }
        assertEquals(List.of("demo/echo.clusterset", "demo/echo.east.global", "demo/echo.west.global",
                "shop/cart.clusterset", "shop/cart.west.global"), entries);
        assertEquals(2, first.stream().filter(l -> l.startsWith("signed the intermediate CA of ")).count(), first.toString());
        assertTrue(first.stream().anyMatch(l -> l.startsWith("generating the root CA (first run)")));

        List<String> second = Collections.synchronizedList(new ArrayList<>());
        try (LocalMesh mesh = start(state, second)) {
            assertTrue(second.contains("state " + state + ": 2 registered clusters loaded"), second.toString());
            assertEquals(entries, names(mesh.istiodConfig("east").serviceEntries()),
                    "served from the stored catalogs before any registration");
            mesh.registerExamples();
            assertTrue(mesh.runAgent("east").isPresent());
            assertEquals(eastCaCert, Files.readString(mesh.caCertsDir("east").resolve("ca-cert.pem")),
                    "the installed intermediate is kept");
            assertEquals(root, Files.readString(mesh.caCertsDir("east").resolve("root-cert.pem")));
        }
        assertTrue(second.stream().noneMatch(l -> l.startsWith("signed the intermediate CA of ")), second.toString());
        assertTrue(second.stream().noneMatch(l -> l.startsWith("generating the root CA")), second.toString());
        assertTrue(second.contains("cluster east registered (updated, generation 2)"),
                "the API server came back on a new port: " + second);
        // The catalogs carry no API server address, so the new port changes no catalog: no version bump, no new
        // Gateway annotation, nothing re-sent to any istiod.
        assertTrue(second.stream().noneMatch(l -> l.startsWith("catalog of ")), second.toString());
    }
}
