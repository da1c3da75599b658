package io.meshfed.xds.cache;

/** The configuration of a node group could not be built (a translation failed); details are logged. */
public final class SnapshotUnavailableException extends RuntimeException {
    public SnapshotUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
