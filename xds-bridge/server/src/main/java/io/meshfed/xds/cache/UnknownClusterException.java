package io.meshfed.xds.cache;

/** A client named a cluster that is not registered with meshfed. */
public final class UnknownClusterException extends RuntimeException {
    public UnknownClusterException(String cluster) {
        super("cluster '" + cluster + "' is not registered with meshfed");
    }
}
