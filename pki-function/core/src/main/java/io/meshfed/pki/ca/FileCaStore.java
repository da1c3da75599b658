package io.meshfed.pki.ca;

import com.fasterxml.jackson.core.type.TypeReference;
import io.meshfed.model.ModelJson;
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
 * file and no other user ever can read the key). Thread-safe within one process.
 */
public final class FileCaStore implements CaStore {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path file;
    private final Clock clock;

    public FileCaStore(Path file, Clock clock) {
        this.file = file;
        this.clock = clock;
    }

    @Override
    public synchronized Optional<CaState> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(permissions)) {
                throw new InvalidCaMaterialException(file + " is readable by others (mode "
                        + PosixFilePermissions.toString(permissions) + "); it must be 0600");
            }
            Map<String, String> entries = ModelJson.mapper().readValue(file.toFile(),
                    new TypeReference<Map<String, String>>() { });
            return Optional.of(Entries.decode(entries, clock));
        } catch (IOException e) {
            throw new CaStoreException("reading " + file + " failed: " + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public synchronized CaState initialize(CaState state) {
        Optional<CaState> existing = load();
        if (existing.isPresent()) {
            return existing.get();
        }
        save(state);
        return state;
    }

    @Override
    public synchronized void save(CaState state) {
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
