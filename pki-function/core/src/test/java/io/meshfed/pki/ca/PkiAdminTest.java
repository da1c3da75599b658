package io.meshfed.pki.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.pki.testing.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator commands drive the rotation states on the local file store. */
class PkiAdminTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return PkiAdmin.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void initIntroduceActivateRetire() {
        String file = dir.resolve("ca.json").toString();
        assertEquals(1, run("activate", "--file", file));
        assertTrue(err.toString().contains("run init first"), err.toString());
        assertEquals(0, run("init", "--file", file, "--common-name", "root one"));
        assertEquals(1, run("init", "--file", file));
        assertEquals(0, run("introduce", "--file", file, "--algorithm", "rsa-4096", "--common-name", "root two"));
        FileCaStore store = new FileCaStore(Path.of(file), Clock.systemUTC());
        assertEquals(2, store.load().orElseThrow().trustedRoots().size());
        assertEquals(0, run("activate", "--file", file));
        assertTrue(store.load().orElseThrow().signer().toString().contains("root two"));
        assertEquals(0, run("retire", "--file", file));
        assertEquals(1, store.load().orElseThrow().trustedRoots().size());
        assertEquals(0, run("status", "--file", file));
        assertTrue(out.toString().contains("trusted root: sha256="), out.toString());
        assertFalse(out.toString().contains("PRIVATE KEY"));
        assertEquals(2, run("rotate", "--file", file));
        assertEquals(1, run("introduce", "--file", file, "--algorithm", "dsa-1024"));
        assertTrue(err.toString().contains("unknown key algorithm 'dsa-1024'"), err.toString());
    }

    @Test
    void aRotationStepRacingAnotherIsRefusedAndChangesNothing() {
        String file = dir.resolve("ca.json").toString();
        assertEquals(0, run("init", "--file", file, "--common-name", "root one"));
        FileCaStore store = new FileCaStore(Path.of(file), Clock.systemUTC());
        CaStore.Versioned read = store.read().orElseThrow();
        assertEquals(0, run("introduce", "--file", file, "--common-name", "root two"));
        String afterIntroduce = store.read().orElseThrow().version();
        assertThrows(io.meshfed.store.ConcurrentChangeException.class,
                () -> store.save(read.state().introduce(TestPki.root(KeyAlgorithm.ECDSA_P256, "root three")),
                        read.version()));
        assertEquals(afterIntroduce, store.read().orElseThrow().version());
        assertTrue(store.load().orElseThrow().next().orElseThrow().toString().contains("root two"));
    }
}
