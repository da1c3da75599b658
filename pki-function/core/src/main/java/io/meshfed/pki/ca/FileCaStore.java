package io.meshfed.pki.ca;

import com.fasterxml.jackson.core.type.TypeReference;
import io.meshfed.model.ModelJson;
import io.meshfed.store.ConcurrentChangeException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Local mode: the CA state as one JSON file of PEM entries, mode 0600 from the moment it exists (created
 * with that mode under a temporary name, then renamed over the old file, so a reader never sees a partial
 * file and no other user ever can read the key).
 *
 * <p>A state's version is the SHA-256 of the file's bytes. A write holds an exclusive lock on a sibling lock file
 * ({@code <file>.lock}) while it compares the stored version with the expected one and renames its file into
 * place, so two processes (local mode and {@code meshfed pki}) cannot both rotate from one state. Thread-safe.
 */
public final class FileCaStore implements CaStore {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final Path lockFile;
    private final Clock clock;

    public FileCaStore(Path file, Clock clock) {
        this.file = file;
        this.lockFile = file.resolveSibling(file.getFileName() + ".lock");
        this.clock = clock;
    }

    @Override
    public synchronized Optional<Versioned> read() {
        Optional<byte[]> bytes = readBytes();
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        try {
            Map<String, String> entries = ModelJson.mapper().readValue(bytes.get(),
                    new TypeReference<Map<String, String>>() { });
            return Optional.of(new Versioned(Entries.decode(entries, clock), Certificates.sha256(bytes.get())));
        } catch (IOException e) {
            throw new CaStoreException("reading " + file + " failed: " + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public synchronized CaState initialize(CaState state) {
        return locked(() -> {
            Optional<Versioned> existing = read();
            if (existing.isPresent()) {
                return existing.get().state();
            }
            write(state);
            return state;
        });
    }

    @Override
    public synchronized void save(CaState state, String expectedVersion) {
        locked(() -> {
            Optional<byte[]> stored = readBytes();
            String version = stored.map(Certificates::sha256).orElse(null);
            if (!java.util.Objects.equals(version, expectedVersion)) {
                throw new ConcurrentChangeException(file + " changed since it was read (version " + expectedVersion
                        + ", now " + (version == null ? "absent" : version) + "): re-read it", null);
            }
            write(state);
            return null;
        });
    }

    private Optional<byte[]> readBytes() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(permissions)) {
                throw new InvalidCaMaterialException(file + " is readable by others (mode "
                        + PosixFilePermissions.toString(permissions) + "); it must be 0600");
            }
            return Optional.of(Files.readAllBytes(file));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new CaStoreException("reading " + file + " failed: " + e.getClass().getSimpleName(), e);
        }
    }

    /** Runs {@code action} holding the exclusive lock on {@link #lockFile} (other writers wait for it). */
    private <T> T locked(java.util.function.Supplier<T> action) {
        try {
            return ExclusiveFileLock.holding(lockFile, action::get);
        } catch (IOException e) {
            throw new CaStoreException("locking " + lockFile + " failed: " + e.getClass().getSimpleName(), e);
        }
    }

    private void write(CaState state) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, ".ca-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try {
                Files.write(temp, ModelJson.mapper().writeValueAsBytes(Entries.encode(state)));
                try {
                    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new CaStoreException("writing " + file + " failed: " + e.getClass().getSimpleName(), e);
        }
    }
}
