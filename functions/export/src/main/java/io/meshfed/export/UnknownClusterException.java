package io.meshfed.export;

/** An event names a cluster that is not registered (and has no catalog left to clean up). */
public final class UnknownClusterException extends RuntimeException {
    private final String cluster;

    public UnknownClusterException(String cluster, String message) {
        super(message);
        this.cluster = cluster;
    }

    public String cluster() {
        return cluster;
    }
}
