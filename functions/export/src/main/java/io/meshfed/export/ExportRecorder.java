package io.meshfed.export;

/**
 * What the export counts, for whoever watches it: the Funqy app exports these as {@code meshfed_export_syncs_total}
 * and {@code meshfed_export_failures_total}; local mode counts nothing. Called once per handled event that read a
 * cluster; implementations are thread-safe.
 */
public interface ExportRecorder {
    /** Counts nothing. */
    ExportRecorder NONE = new ExportRecorder() {
        @Override
        public void synced(String cluster) {
        }

        @Override
        public void failed(String cluster, FailureReason reason) {
        }
    };

    /** A sync of {@code cluster} completed, whether or not its catalog changed. */
    void synced(String cluster);

    /** A sync of {@code cluster} could not read it; the catalog was kept. */
    void failed(String cluster, FailureReason reason);
}
