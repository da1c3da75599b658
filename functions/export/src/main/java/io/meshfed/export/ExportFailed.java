package io.meshfed.export;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.meshfed.model.Rules;
import io.meshfed.model.Violations;
import java.time.Instant;
import java.util.Objects;

/**
 * Data of {@code io.meshfed.service.export.failed} (subject: the cluster): a workload cluster's API server could
 * not be read, so its last known catalog was kept and marked stale.
 *
 * @param cluster the cluster's name
 * @param reason the failure category
 * @param message what went wrong, for people (never contains credentials)
 * @param staleSince since when the kept catalog is stale (the first failed read); null when no catalog was ever
 *        stored, so there is nothing to keep
 * @param lastGoodRead when the stored catalog was last read successfully; null when never
 * @param catalogVersion the version of the kept catalog, 0 when none is stored
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ExportFailed(
        String cluster,
        FailureReason reason,
        String message,
        Instant staleSince,
        Instant lastGoodRead,
        long catalogVersion) {

    public ExportFailed {
        new Violations().check("cluster", Rules.dns1123Label(cluster)).throwIfAny();
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
