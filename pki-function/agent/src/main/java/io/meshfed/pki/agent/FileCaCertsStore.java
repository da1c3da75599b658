package io.meshfed.pki.agent;

import io.meshfed.model.ModelJson;
import io.meshfed.pki.ca.ExclusiveFileLock;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * Local mode: a directory with {@code ca-cert.pem}, {@code ca-key.pem}, {@code cert-chain.pem} and
 * {@code root-cert.pem}, swapped atomically the way the kubelet updates a mounted Secret: each generation is
 * written into a fresh hidden directory, then the {@code ..data} symlink is renamed over to it; the four
 * visible names are symlinks through {@code ..data}. Files are 0600.
 *
 * <p>The version of the material is the name of the generation directory {@code ..data} points to (each write
 * makes a new one); material without {@code ..data} (placed by hand) is version {@value #UNMANAGED}. A write
 * compares and swaps under an exclusive lock on {@code .lock} in the directory, so another process writing the
 * same directory waits, and finds its expected version gone. Thread-safe.
 */
public final class FileCaCertsStore implements CaCertsStore {
    private static final String DATA = "..data";
    private static final String REQUEST = ".meshfed-request.json";
    private static final String LOCK = ".lock";
    static final String UNMANAGED = "unmanaged";
    private static final String[] FILES = {CaCerts.CA_CERT, CaCerts.CA_KEY, CaCerts.CERT_CHAIN, CaCerts.ROOT_CERT};

    private final Path dir;

    public FileCaCertsStore(Path dir) {
        this.dir = dir;
    }

    @Override
    public synchronized Optional<Versioned> readVersioned() {
        String version = version();
        return version == null ? Optional.empty() : Optional.of(new Versioned(caCerts(), version));
    }

    /** The name of the generation {@code ..data} points to, {@value #UNMANAGED}, or null when nothing is there. */
    private String version() {
        try {
            if (Files.isSymbolicLink(dir.resolve(DATA))) {
                return Files.readSymbolicLink(dir.resolve(DATA)).getFileName().toString();
            }
        } catch (IOException e) {
            throw new CaCertsWriteException("reading " + dir + " failed: " + e.getClass().getSimpleName());
        }
        for (String file : FILES) {
            if (Files.exists(dir.resolve(file))) {
                return UNMANAGED;
            }
        }
        return null;
    }

    private Optional<CaCerts> caCerts() {
        try {
            for (String file : FILES) {
                if (!Files.isRegularFile(dir.resolve(file))) {
                    return Optional.empty();
                }
            }
            Map<?, ?> request = Files.exists(dir.resolve(DATA).resolve(REQUEST))
                    ? ModelJson.mapper().readValue(dir.resolve(DATA).resolve(REQUEST).toFile(), Map.class) : Map.of();
            return Optional.of(new CaCerts(Files.readString(dir.resolve(CaCerts.CA_CERT)),
                    Files.readString(dir.resolve(CaCerts.CA_KEY)), Files.readString(dir.resolve(CaCerts.CERT_CHAIN)),
                    Files.readString(dir.resolve(CaCerts.ROOT_CERT)), (String) request.get("requestId"),
                    (String) request.get("csr")));
        } catch (IOException e) {
            throw new CaCertsWriteException("reading " + dir + " failed: " + e.getClass().getSimpleName());
        }
    }

    @Override
    public synchronized void write(CaCerts caCerts, String expectedVersion) {
        try {
            ExclusiveFileLock.holding(dir.resolve(LOCK), () -> {
                String version = version();
                if (!java.util.Objects.equals(version, expectedVersion)) {
                    throw new io.meshfed.store.ConcurrentChangeException(dir + " changed since it was read (version "
                            + expectedVersion + ", now " + version + "): re-read it", null);
                }
                swap(caCerts);
                return null;
            });
        } catch (IOException e) {
            throw new CaCertsWriteException("writing " + dir + " failed: " + e.getClass().getSimpleName());
        }
    }

    private void swap(CaCerts caCerts) {
        try {
            Path generation = Files.createTempDirectory(dir, "..gen-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            writeOwnerOnly(generation.resolve(CaCerts.CA_CERT), caCerts.caCert());
            writeOwnerOnly(generation.resolve(CaCerts.CA_KEY), caCerts.caKey());
            writeOwnerOnly(generation.resolve(CaCerts.CERT_CHAIN), caCerts.certChain());
            writeOwnerOnly(generation.resolve(CaCerts.ROOT_CERT), caCerts.rootCert());
            if (caCerts.requestId() != null) {
                java.util.Map<String, String> request = new java.util.TreeMap<>();
                request.put("requestId", caCerts.requestId());
                request.put("csr", caCerts.csr());
                writeOwnerOnly(generation.resolve(REQUEST), ModelJson.mapper().writeValueAsString(request));
            }
            Path previous = Files.isSymbolicLink(dir.resolve(DATA)) ? dir.resolve(DATA).toRealPath() : null;
            Path link = dir.resolve("..data_tmp");
            Files.deleteIfExists(link);
            Files.createSymbolicLink(link, generation.getFileName());
            try {
                Files.move(link, dir.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new CaCertsWriteException(dir + " does not support atomic renames");
            }
            for (String file : FILES) {
                Path visible = dir.resolve(file);
                if (!Files.isSymbolicLink(visible)) {
                    Files.deleteIfExists(visible);
                    Files.createSymbolicLink(visible, Path.of(DATA, file));
                }
            }
            if (previous != null && !previous.equals(generation.toRealPath())) {
                deleteTree(previous);
            }
        } catch (IOException e) {
            throw new CaCertsWriteException("writing " + dir + " failed: " + e.getClass().getSimpleName());
        }
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }

    private static void deleteTree(Path path) throws IOException {
        try (var files = Files.walk(path)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
