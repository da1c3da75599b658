package io.meshfed.testsupport.peers;

/** A real peer could not be found, started or reached: says which, and what to do. */
public final class PeerException extends RuntimeException {
    public PeerException(String message) {
        super(message);
    }

    public PeerException(String message, Throwable cause) {
        super(message, cause);
    }
}
