package io.meshfed.wasm.filters.retry;

/**
 * A retry budget in the style of Finagle's and Linkerd's: within a sliding window, retries may be at most
 * {@code ratio} times the original requests, plus a floor of {@code minRetriesPerSecond * windowSeconds}
 * so that low traffic can still retry. The window is {@link #BUCKETS} time buckets, serialized as bytes so
 * Envoy's worker VMs share one budget through shared data (updated with compare-and-swap).
 *
 * <p>Pure state transitions on byte arrays; thread-safe (no fields but configuration).
 */
public final class RetryBudget {
    static final int BUCKETS = 10;
    /** Per bucket: epoch + 1 (i64, 0 = empty bucket), requests (i32), retries (i32). */
    static final int BUCKET_BYTES = 16;
    static final int STATE_BYTES = BUCKETS * BUCKET_BYTES;

    private final double ratio;
    private final long floor;
    private final long bucketNanos;

    public RetryBudget(double ratio, double minRetriesPerSecond, int windowSeconds) {
        this.ratio = ratio;
        this.floor = (long) (minRetriesPerSecond * windowSeconds);
        this.bucketNanos = windowSeconds * 1_000_000_000L / BUCKETS;
    }

    /** Outcome of one request against the budget. */
    public enum Decision {
        ORIGINAL, RETRY_ALLOWED, RETRY_REFUSED
    }

    /**
     * Applies one request to {@code state} (null = empty) at {@code nowNanos}, writing the new state into
     * {@code out} (length {@link #STATE_BYTES}) and returning the decision.
     */
    public Decision apply(byte[] state, long nowNanos, boolean retry, byte[] out) {
        long epoch = nowNanos / bucketNanos + 1;
        long requests = 0;
        long retries = 0;
        for (int i = 0; i < STATE_BYTES; i++) {
            out[i] = 0;
        }
        if (state != null && state.length == STATE_BYTES) {
            for (int b = 0; b < BUCKETS; b++) {
                long e = getLong(state, b * BUCKET_BYTES);
                if (e != 0 && e > epoch - BUCKETS && e <= epoch) {
                    int slot = (int) (e % BUCKETS);
                    System.arraycopy(state, b * BUCKET_BYTES, out, slot * BUCKET_BYTES, BUCKET_BYTES);
                    requests += getInt(state, b * BUCKET_BYTES + 8);
                    retries += getInt(state, b * BUCKET_BYTES + 12);
                }
            }
        }
        int slot = (int) (epoch % BUCKETS) * BUCKET_BYTES;
        if (getLong(out, slot) != epoch) {
            putLong(out, slot, epoch);
            putInt(out, slot + 8, 0);
            putInt(out, slot + 12, 0);
        }
        if (!retry) {
            putInt(out, slot + 8, getInt(out, slot + 8) + 1);
            return Decision.ORIGINAL;
        }
        if (retries + 1 > floor + (long) (ratio * requests)) {
            return Decision.RETRY_REFUSED;
        }
        putInt(out, slot + 12, getInt(out, slot + 12) + 1);
        return Decision.RETRY_ALLOWED;
    }

    static long getLong(byte[] b, int at) {
        return (getInt(b, at) & 0xFFFFFFFFL) | ((long) getInt(b, at + 4) << 32);
    }

    static int getInt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) v);
        putInt(b, at + 4, (int) (v >>> 32));
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }
}
