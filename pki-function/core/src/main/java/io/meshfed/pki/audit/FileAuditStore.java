package io.meshfed.pki.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.meshfed.model.ModelJson;
import io.meshfed.model.Rules;
import io.meshfed.pki.ca.CaStoreException;
import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.signing.AuditRecord;
import io.meshfed.pki.signing.AuditStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Local mode: {@code audit.jsonl} (issuances, one JSON record per line, append-only) plus
 * {@code issued/<sha256(id)>.json} per issued request id, created with CREATE_NEW so the first writer wins; and
 * {@code rejected/<cluster>/<epoch millis>-<sequence>.json} per rejection, of which the most recent
 * {@code rejectionsKept} per cluster are kept. Thread-safe within one process.
 */
public final class FileAuditStore implements AuditStore {
    private final Path log;
    private final Path issuedDir;
    private final Path rejectedDir;
    private final int rejectionsKept;
    private long sequence;

    public FileAuditStore(Path directory) {
        this(directory, DEFAULT_REJECTIONS_KEPT);
    }

    public FileAuditStore(Path directory, int rejectionsKept) {
        this.log = directory.resolve("audit.jsonl");
        this.issuedDir = directory.resolve("issued");
        this.rejectedDir = directory.resolve("rejected");
        this.rejectionsKept = AuditBounds.checkKept(rejectionsKept);
        try {
            Files.createDirectories(issuedDir);
            Files.createDirectories(rejectedDir);
        } catch (IOException e) {
            throw new CaStoreException("cannot create audit directory " + directory, e);
        }
    }

    @Override
    public synchronized Optional<AuditRecord> findIssued(String requestId) {
        Path file = issuedFile(requestId);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModelJson.mapper().readValue(file.toFile(), AuditRecord.class));
        } catch (IOException e) {
            throw new CaStoreException("reading " + file + " failed", e);
        }
    }

    @Override
    public synchronized AuditRecord recordIssued(AuditRecord record) {
        Path file = issuedFile(record.requestId());
        try {
            Files.write(file, json(record), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            return findIssued(record.requestId()).orElseThrow();
        } catch (IOException e) {
            throw new CaStoreException("writing " + file + " failed", e);
        }
        append(record);
        return record;
    }

    @Override
    public synchronized void recordRejected(AuditRecord record) {
        // The name becomes a directory: only a cluster name, never a path.
        Rules.dns1123Label(record.cluster()).ifPresent(problem -> {
            throw new IllegalArgumentException("a rejection is recorded under its cluster's name; cluster " + problem);
        });
        Path dir = rejectedDir.resolve(record.cluster());
        Path file = dir.resolve(String.format("%013d-%06d.json", System.currentTimeMillis(), sequence++ % 1_000_000));
        try {
            Files.createDirectories(dir);
            Files.write(file, json(record));
            List<Path> kept = files(dir);
            for (Path old : kept.subList(0, Math.max(0, kept.size() - rejectionsKept))) {
                Files.deleteIfExists(old);
            }
        } catch (IOException e) {
            throw new CaStoreException("writing " + file + " failed", e);
        }
    }

    /** Issuances, then every kept rejection, ordered by their time. */
    @Override
    public synchronized List<AuditRecord> list() {
        try {
            List<AuditRecord> out = new ArrayList<>();
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        out.add(ModelJson.mapper().readValue(line, AuditRecord.class));
                    }
                }
            }
            for (Path dir : files(rejectedDir)) {
                for (Path file : files(dir)) {
                    out.add(ModelJson.mapper().readValue(file.toFile(), AuditRecord.class));
                }
            }
            out.sort(Comparator.comparing(r -> Instant.parse(r.time())));
            return out;
        } catch (IOException e) {
            throw new CaStoreException("reading the audit records under " + log.getParent() + " failed", e);
        }
    }

    /** The entries of {@code dir}, sorted by name. */
    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted().toList();
        }
    }

    private void append(AuditRecord record) {
        try {
            byte[] line = (new String(json(record), StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.write(log, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new CaStoreException("appending to " + log + " failed", e);
        }
    }

    private Path issuedFile(String requestId) {
        return issuedDir.resolve(Certificates.sha256(requestId.getBytes(StandardCharsets.UTF_8)) + ".json");
    }

    private static byte[] json(AuditRecord record) {
        try {
            return ModelJson.mapper().writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("audit records always serialize", e);
        }
    }
}
