package io.meshfed.pki.ca;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Runs an action holding an exclusive lock on a lock file, for the compare-and-set of meshfed's file stores (the CA
 * state, the agent's {@code cacerts} directory): other processes wait for the operating system's lock, and other
 * threads of this process for a monitor first (a JVM holds one lock per file and refuses a second one with
 * {@code OverlappingFileLockException}).
 */
public final class ExclusiveFileLock {
    private static final ConcurrentMap<Path, Object> MONITORS = new ConcurrentHashMap<>();

    private ExclusiveFileLock() {
    }

    /** An action that may fail with I/O. */
    @FunctionalInterface
    public interface Action<T> {
        T run() throws IOException;
    }

    /** Runs {@code action} holding the lock on {@code lockFile}, created (with its directory) if missing. */
    public static <T> T holding(Path lockFile, Action<T> action) throws IOException {
        Path key = lockFile.toAbsolutePath().normalize();
        synchronized (MONITORS.computeIfAbsent(key, k -> new Object())) {
            Files.createDirectories(key.getParent());
            try (FileChannel channel = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                return action.run();
            }
        }
    }
}
