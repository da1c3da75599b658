package io.meshfed.xds.protocol;

import io.vertx.grpc.common.GrpcStatus;

/**
 * Ends a stream with a gRPC status. Thrown anywhere in the protocol layer and turned into the status at exactly
 * one place ({@link AdsStream#fail}); the message is what the client reads, so it names what was wrong.
 */
public final class XdsStatusException extends RuntimeException {
    private final GrpcStatus status;

    public XdsStatusException(GrpcStatus status, String message) {
        super(message);
        this.status = status;
    }

    public GrpcStatus status() {
        return status;
    }

    static XdsStatusException invalid(String message) {
        return new XdsStatusException(GrpcStatus.INVALID_ARGUMENT, message);
    }
}
