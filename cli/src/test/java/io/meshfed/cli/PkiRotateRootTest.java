package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.FileCaStore;
import io.meshfed.pki.ca.Certificates;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshfed pki init|rotate-root} on a local CA state file: the three steps of docs/pki.md with the old root kept
 * in the trust bundle until retire, each refused when the state does not allow it, never printing a key.
 */
class PkiRotateRootTest {
    @TempDir
    Path dir;
    private final Cli cli = new Cli();

    private CaState stored(Path file) {
        return new FileCaStore(file, Clock.systemUTC()).load().orElseThrow();
    }

    @Test
    void initIntroduceActivateRetireKeepTheOldRootTrustedUntilRetired() throws Exception {
        Path file = dir.resolve("ca.json");
        String f = file.toString();

        Cli.Run early = cli.run("pki", "rotate-root", "activate", "--file", f);
        assertEquals(ExitCodes.REJECTED, early.exitCode());
        assertTrue(early.err().contains("activate refused: no CA state stored; run init first"), early.err());

        Cli.Run init = cli.run("pki", "init", "--file", f, "--common-name", "root one");
        assertEquals(0, init.exitCode(), init.err());
        String first = Certificates.fingerprint(stored(file).signer().root());
        assertTrue(init.out().contains("phase:  stable"), init.out());
        assertEquals(ExitCodes.REJECTED, cli.run("pki", "init", "--file", f).exitCode());

        Cli.Run introduce = cli.run("pki", "rotate-root", "introduce", "--file", f, "--algorithm", "ecdsa-p384",
                "--common-name", "root two");
        assertEquals(0, introduce.exitCode(), introduce.err());
        CaState introduced = stored(file);
        assertEquals(2, introduced.trustedRoots().size());
        assertEquals(first, Certificates.fingerprint(introduced.signer().root()), "the old root still signs");
        assertTrue(introduced.next().orElseThrow().toString().contains("root two"));
        assertTrue(introduce.out().contains("phase:  introduced"), introduce.out());
        Cli.Run again = cli.run("pki", "rotate-root", "introduce", "--file", f);
        assertEquals(ExitCodes.REJECTED, again.exitCode());
        assertTrue(again.err().contains("introduce refused: a rotation is already in progress"), again.err());

        Cli.Run activate = cli.run("pki", "rotate-root", "activate", "--file", f);
        assertEquals(0, activate.exitCode(), activate.err());
        CaState activated = stored(file);
        assertTrue(activated.signer().toString().contains("root two"));
        assertEquals(2, activated.trustedRoots().size(), "both roots trusted after activate");
        assertTrue(activated.trustedRoots().stream().anyMatch(r -> Certificates.fingerprint(r).equals(first)));
        assertTrue(activate.out().contains("phase:  activated"), activate.out());

        Cli.Run status = cli.run("pki", "status", "--file", f, "-o", "json");
        assertEquals(0, status.exitCode(), status.err());
        assertEquals("activated", Output.JSON.readTree(status.out()).path("phase").asText());

        Cli.Run retire = cli.run("pki", "rotate-root", "retire", "--file", f);
        assertEquals(0, retire.exitCode(), retire.err());
        CaState retired = stored(file);
        assertEquals(1, retired.trustedRoots().size());
        assertFalse(retired.trustedRoots().stream().anyMatch(r -> Certificates.fingerprint(r).equals(first)));
        assertTrue(retire.out().contains("phase:  stable"), retire.out());

        for (Cli.Run run : new Cli.Run[] {init, introduce, activate, retire, status}) {
            assertFalse(run.out().contains("PRIVATE KEY"), run.out());
        }
    }

    @Test
    void theStateDirectoryOfLocalModeAndBadInput() {
        Path state = dir.resolve("state");
        Cli.Run init = cli.run("--state-dir", state.toString(), "pki", "init");
        assertEquals(0, init.exitCode(), init.err());
        assertTrue(state.resolve("pki/ca.json").toFile().isFile());
        Cli.Run badAlgorithm = cli.run("--state-dir", state.toString(), "pki", "rotate-root", "introduce",
                "--algorithm", "dsa-1024");
        assertEquals(ExitCodes.REJECTED, badAlgorithm.exitCode());
        assertTrue(badAlgorithm.err().contains("unknown key algorithm 'dsa-1024'"), badAlgorithm.err());
        Cli.Run halfImport = cli.run("--state-dir", state.toString(), "pki", "rotate-root", "introduce",
                "--import-key", dir.resolve("k.pem").toString());
        assertEquals(ExitCodes.REJECTED, halfImport.exitCode());
        assertTrue(halfImport.err().contains("--import-key and --import-chain go together"), halfImport.err());
        assertTrue(stored(state.resolve("pki/ca.json")).next().isEmpty(), "nothing written by a refused step");
    }
}
