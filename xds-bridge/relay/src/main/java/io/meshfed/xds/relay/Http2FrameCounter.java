package io.meshfed.xds.relay;

import io.vertx.core.buffer.Buffer;

/**
 * Counts the HTTP/2 frames of one direction of a relayed connection from the bytes going past, reading only each
 * frame's 9-byte header (RFC 9113, section 4.1: a 24-bit payload length, then the type) and skipping its payload; the
 * bytes themselves are relayed unchanged by the caller. The client's direction starts with the 24-byte connection
 * preface, which is skipped first. Confined to the connection's event loop (one instance per direction).
 */
final class Http2FrameCounter {
    /** {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}, what a client sends before its first frame. */
    static final int PREFACE_LENGTH = 24;
    private static final int HEADER_LENGTH = 9;
    private static final int DATA = 0x0;
    private static final int HEADERS = 0x1;
    private static final int CONTINUATION = 0x9;

    private final RelayMetrics metrics;
    private final RelayMetrics.Direction direction;
    private final byte[] header = new byte[HEADER_LENGTH];
    /** Bytes still to skip: the preface, then each frame's payload. */
    private long skip;
    /** Bytes of the current frame header read so far. */
    private int headerRead;

    Http2FrameCounter(RelayMetrics metrics, RelayMetrics.Direction direction, boolean clientPreface) {
        this.metrics = metrics;
        this.direction = direction;
        this.skip = clientPreface ? PREFACE_LENGTH : 0;
    }

    /** Counts the frames whose header completes in {@code buffer}, and the buffer's bytes. */
    void accept(Buffer buffer) {
        int length = buffer.length();
        metrics.relayed(direction, length);
        int at = 0;
        while (at < length) {
            if (skip > 0) {
                int n = (int) Math.min(skip, length - at);
                skip -= n;
                at += n;
                continue;
            }
            header[headerRead++] = buffer.getByte(at++);
            if (headerRead == HEADER_LENGTH) {
                headerRead = 0;
                skip = ((header[0] & 0xffL) << 16) | ((header[1] & 0xffL) << 8) | (header[2] & 0xffL);
                int type = header[3] & 0xff;
                metrics.frame(direction, type == DATA ? RelayMetrics.FrameType.DATA
                        : type == HEADERS || type == CONTINUATION ? RelayMetrics.FrameType.HEADERS
                        : RelayMetrics.FrameType.CONTROL);
            }
        }
    }
}
