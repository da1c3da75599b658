package io.meshfed.xds.mcp;

/** A translated Istio resource that the bridge cannot serialize for istiod; the message names it and the field. */
public final class InvalidIstioResourceException extends RuntimeException {
    public InvalidIstioResourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
