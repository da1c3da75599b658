package io.meshfed.wasm.sdk;

import org.teavm.interop.Address;

/**
 * The only guest memory the host ever writes into, and the staging area for everything the guest hands
 * the host. Memory rules (see docs/wasm-filters.md), enforced by keeping all address arithmetic here:
 *
 * <ol>
 *   <li>The buffer is one static array allocated once; {@link #allocate} (behind
 *       {@code proxy_on_memory_allocate}) carves host buffers out of it and never allocates on the Java
 *       heap, so a host write can never trigger a garbage collection or land in an object that moves.
 *   <li>The array may move at any GC, so its address is never cached: {@link #base()} is read right
 *       before each host call, after everything was staged, with no Java allocation in between.
 *   <li>Results are read back by offset from the array ({@code ptr - base}), then copied to Java objects.
 *   <li>{@link #reset()} at the start of every host call: a buffer is valid only until the next host call.
 * </ol>
 *
 * Single-threaded like the VM; not reentrant (host calls never nest).
 */
final class Arena {
    /** Host writes larger than this (a huge header map or configuration) fail the call instead of trapping. */
    static final int CAPACITY = 256 * 1024;
    /** Offsets 0..15: out-parameters of the current host call. */
    static final int OUT0 = 0;
    static final int OUT1 = 4;
    static final int OUT2 = 8;
    /**
     * Offsets 16..PINNED_END: bytes staged once and kept for the VM's life ({@link #pin}), such as header
     * names encoded at configuration time, so a host call hands them over without copying. The host never
     * writes here: {@link #allocate} serves offsets from FIRST_FREE up.
     */
    private static final int PINNED_START = 16;
    private static final int PINNED_END = PINNED_START + 8 * 1024;
    private static final int FIRST_FREE = PINNED_END;
    private static int pinnedTop = PINNED_START;

    private static final byte[] MEMORY = new byte[CAPACITY];
    private static int top = FIRST_FREE;

    private Arena() {}

    /** Starts a host call: the previous call's buffers are released. Out-parameters are not cleared. */
    static void reset() {
        top = FIRST_FREE;
    }

    /** Address of offset 0. Call only as the last step before a host call. */
    static int base() {
        return Address.ofData(MEMORY).toInt();
    }

    /** Host-requested buffer: an absolute address, or 0 when the arena is full. Never allocates. */
    static int allocate(int size) {
        int off = (top + 7) & ~7;
        if (size < 0 || off + size > CAPACITY) {
            return 0;
        }
        top = off + size;
        return Address.ofData(MEMORY).toInt() + off;
    }

    /** Stages {@code s} as UTF-8 and returns its offset; its length is {@link #top()} minus that offset. */
    static int putUtf8(String s) {
        int start = top;
        int n = s.length();
        ensure(n);
        byte[] m = MEMORY;
        int t = top;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                // Rare in header names and values: encode the rest through the general path.
                top = t;
                Utf8.encode(s.substring(i), Arena::put);
                return start;
            }
            m[t++] = (byte) c;
        }
        top = t;
        return start;
    }

    /**
     * Copies {@code b} into the pinned region for good and returns its offset, or -1 when the region is
     * full (many reconfigurations): callers then stage the bytes per call as before. Pinned bytes are
     * never changed or released.
     */
    static int pin(byte[] b) {
        if (pinnedTop + b.length > PINNED_END) {
            return -1;
        }
        int off = pinnedTop;
        System.arraycopy(b, 0, MEMORY, off, b.length);
        pinnedTop += b.length;
        return off;
    }

    static int putBytes(byte[] b) {
        int start = top;
        ensure(b.length);
        System.arraycopy(b, 0, MEMORY, top, b.length);
        top += b.length;
        return start;
    }

    static int putInt(int v) {
        int start = top;
        put(v);
        put(v >>> 8);
        put(v >>> 16);
        put(v >>> 24);
        return start;
    }

    static void put(int b) {
        ensure(1);
        MEMORY[top++] = (byte) b;
    }

    static int top() {
        return top;
    }

    static void setInt(int offset, int v) {
        MEMORY[offset] = (byte) v;
        MEMORY[offset + 1] = (byte) (v >>> 8);
        MEMORY[offset + 2] = (byte) (v >>> 16);
        MEMORY[offset + 3] = (byte) (v >>> 24);
    }

    static int getInt(int offset) {
        return (MEMORY[offset] & 0xFF) | (MEMORY[offset + 1] & 0xFF) << 8 | (MEMORY[offset + 2] & 0xFF) << 16
                | (MEMORY[offset + 3] & 0xFF) << 24;
    }

    static long getLong(int offset) {
        return (getInt(offset) & 0xFFFFFFFFL) | ((long) getInt(offset + 4) << 32);
    }

    /** Turns a host-returned absolute address into an arena offset, rejecting anything outside the arena. */
    static int offsetOf(int address, int length, int base) {
        int off = address - base;
        if (off < FIRST_FREE || length < 0 || off + length > top) {
            throw new IllegalStateException("host returned a buffer outside the arena");
        }
        return off;
    }

    static String utf8(int offset, int length) {
        return Utf8.decode(MEMORY, offset, length);
    }

    static byte[] copy(int offset, int length) {
        byte[] out = new byte[length];
        System.arraycopy(MEMORY, offset, out, 0, length);
        return out;
    }

    static byte[] memory() {
        return MEMORY;
    }

    private static void ensure(int n) {
        if (top + n > CAPACITY) {
            throw new IllegalArgumentException("host-call data exceeds the " + CAPACITY + "-byte arena");
        }
    }
}
