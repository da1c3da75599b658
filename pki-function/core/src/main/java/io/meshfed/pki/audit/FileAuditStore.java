package io.meshfed.pki.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.meshfed.model.ModelJson;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Local mode: {@code audit.jsonl} (one JSON record per line, append-only) plus {@code issued/<sha256(id)>.json}
 * per issued request id, created with CREATE_NEW so the first writer wins. Thread-safe within one process.
 */
public final class FileAuditStore implements AuditStore {
    private final Path log;
    private final Path issuedDir;

    public FileAuditStore(Path directory) {
        this.log = directory.resolve("audit.jsonl");
        this.issuedDir = directory.resolve("issued");
        try {
            Files.createDirectories(issuedDir);
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
        append(record);
    }

    @Override
    public synchronized List<AuditRecord> list() {
        if (!Files.exists(log)) {
            return List.of();
        }
        try {
            List<AuditRecord> out = new ArrayList<>();
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(ModelJson.mapper().readValue(line, AuditRecord.class));
                }
            }
            return out;
        } catch (IOException e) {
            throw new CaStoreException("reading " + log + " failed", e);
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
