package io.meshfed.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each example keeps its own state: a state directory is claimed by the example that first ran on it, another
 * example is refused there with the ways out, {@code --fresh} starts clean but deletes only meshfed's own state, and
 * a taken port is found before anything is written.
 */
class StateDirectoryTest {

    @Test
    void eachExampleGetsItsOwnDefaultDirectory() {
        assertEquals(Path.of(".meshfed/state/two-clusters"), StateDirectory.defaultFor(Path.of("examples/two-clusters")));
        assertEquals(Path.of(".meshfed/state/three-clusters-two-regions"),
                StateDirectory.defaultFor(Path.of("examples/three-clusters-two-regions/")));
    }

    @Test
    void anotherExampleIsRefusedOnAClaimedDirectoryAndFreshStartsClean(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Path two = Path.of("../examples/two-clusters");
        Path three = Path.of("../examples/three-clusters-two-regions");
        StateDirectory.claim(state, two, List.of("east", "west"), false);
        Files.createDirectories(state.resolve("clusters"));
        Files.writeString(state.resolve("clusters/east.json"), "{}");
        StateDirectory.claim(state, two, List.of("east", "west"), false); // the same example again: fine

        ExampleException refused = assertThrows(ExampleException.class,
                () -> StateDirectory.claim(state, three, List.of("east-1", "east-2", "west-1"), false));
        assertEquals("state directory " + state + " holds the state of example " + two.toAbsolutePath().normalize()
                + ", not of " + three + ": start clean with --fresh (deletes " + state + ") or give another --state-dir",
                refused.getMessage());
        assertTrue(Files.exists(state.resolve("clusters/east.json")), "a refusal changes nothing");

        StateDirectory.claim(state, three, List.of("east-1", "east-2", "west-1"), true);
        assertFalse(Files.exists(state.resolve("clusters")), "--fresh deleted the old state");
        assertEquals(three.toAbsolutePath().normalize() + "\n", Files.readString(state.resolve(StateDirectory.MARKER)));
    }

    @Test
    void freshNeverDeletesADirectoryLocalModeDidNotWrite(@TempDir Path dir) throws Exception {
        Path notState = Files.createDirectories(dir.resolve("home"));
        Files.writeString(notState.resolve("thesis.tex"), "keep me");
        ExampleException refused = assertThrows(ExampleException.class,
                () -> StateDirectory.claim(notState, Path.of("../examples/two-clusters"), List.of("east", "west"), true));
        assertEquals("--fresh: " + notState + " holds [thesis.tex], which local mode never writes; not deleting it "
                + "(remove it yourself if it is meant to go)", refused.getMessage());
        assertEquals("keep me", Files.readString(notState.resolve("thesis.tex")));
    }

    @Test
    void aTakenPortIsReportedBeforeAnythingIsWritten() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ExampleException e = assertThrows(ExampleException.class,
                    () -> LocalMain.checkPortFree("127.0.0.1", taken.getLocalPort(), "--broker-port"));
            assertEquals("port " + taken.getLocalPort() + " on 127.0.0.1 is in use: stop what listens there or pass "
                    + "--broker-port <port>", e.getMessage());
        }
        LocalMain.checkPortFree("127.0.0.1", 0, "--xds-port"); // any free port: nothing to check
    }
}
