package io.meshfed.export;

import io.meshfed.model.CatalogChanged;

/** What one sync, registration or deregistration did to a cluster's stored catalog. */
public sealed interface SyncResult {

    /** The stored catalog was written or removed; announce it with {@code io.meshfed.catalog.changed}. */
    record Changed(CatalogChanged change) implements SyncResult {
    }

    /** Nothing was written and nothing is announced. */
    record Unchanged(String cluster) implements SyncResult {
    }

    /** The cluster could not be read; its last catalog was kept (and marked stale). */
    record Failed(ExportFailed failure) implements SyncResult {
    }
}
