package io.meshfed.testsupport.peers;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One real program started by a test: its output goes to a log file under {@code target/peer-logs/}, it is stopped
 * on {@link #close()} (SIGTERM, then SIGKILL after 10 s) and, as a last resort, when the JVM exits. Every live
 * process is listed for {@link PeerLogsOnFailure}, which prints their log tails when a test fails.
 */
public final class PeerProcess implements AutoCloseable {
    private static final Set<PeerProcess> LIVE = ConcurrentHashMap.newKeySet();
    private static final Path LOG_DIR = Path.of("target", "peer-logs").toAbsolutePath();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(PeerProcess::close), "peer-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path log;

    private PeerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} in {@code workDir} with extra {@code env}; its output goes to {@code <name>.log}. */
    public static PeerProcess start(String name, List<String> command, Path workDir, Map<String, String> env) {
        try {
            Files.createDirectories(LOG_DIR);
            Path log = LOG_DIR.resolve(name + ".log");
            Files.writeString(log, "# " + String.join(" ", command) + "\n", StandardCharsets.UTF_8);
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            PeerProcess p = new PeerProcess(name, pb.start(), log);
            LIVE.add(p);
            return p;
        } catch (IOException e) {
            throw new PeerException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    /** A TCP port free on loopback now (the peer binds it a moment later), never one this JVM gave out before. */
    public static int freePort() {
        // The kernel may hand the port it just released to the next bind(0): a peer asking for two ports at once
        // (etcd's client and peer URLs) once got the same one twice and failed to bind. A port is given out once per JVM.
        for (int attempt = 0; attempt < 100; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
                port = s.getLocalPort();
            } catch (IOException e) {
                throw new PeerException("no free port: " + e.getMessage(), e);
            }
            if (GIVEN_PORTS.add(port)) {
                return port;
            }
        }
        throw new PeerException("no free port: the kernel kept offering ports this JVM already gave out");
    }

    private static final java.util.Set<Integer> GIVEN_PORTS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Waits until {@code ready} holds, failing with the log's tail if the process dies or time runs out. */
    public void awaitReady(String what, Duration timeout, BooleanSupplier ready) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new PeerException(name + " exited with " + process.exitValue() + " before " + what + "\n"
                        + tail(60));
            }
            if (ready.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PeerException("interrupted waiting for " + name, e);
            }
        }
        throw new PeerException(name + " not " + what + " after " + timeout.toSeconds() + " s\n" + tail(60));
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last {@code lines} lines of the log. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> last = new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size()));
            return "---- last " + last.size() + " lines of " + log + "\n" + String.join("\n", last);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** The whole log so far. */
    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PeerException("cannot read " + log, e);
        }
    }

    static Set<PeerProcess> live() {
        return Set.copyOf(LIVE);
    }

    @Override
    public void close() {
        LIVE.remove(this);
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
