package io.meshfed.wasm.sdk;

/**
 * Everything a filter may ask of its proxy. In a Wasm module this is {@link WasmHost} (proxy-wasm ABI 0.2.1
 * host calls); in plain-Java tests and benchmarks it can be any implementation, so filter logic is written
 * once against this interface. Implementations are not thread-safe: a Wasm VM runs one callback at a time.
 */
public interface Host {
    /** The value of header {@code name}, or {@code null} when absent. */
    String getHeader(HeaderMapType map, String name);

    /** All headers of {@code map} in order, as alternating name/value entries. */
    String[] getHeaders(HeaderMapType map);

    /**
     * One read of the whole map, matched against {@code names} (lower-case ASCII) ignoring ASCII case; values
     * longer than {@code maxValueBytes} (UTF-8) are reported as {@code null}, not copied. Throws like any
     * host call when the map cannot be read (larger than the guest can take, for one).
     */
    default HeaderMatches matchHeaders(HeaderMapType map, Utf8String[] names, int maxValueBytes) {
        return HeaderMatches.of(getHeaders(map), names, maxValueBytes);
    }

    void addHeader(HeaderMapType map, String name, String value);

    /**
     * Sets {@code name} to {@code value}, replacing an existing value (adds it when absent). Whether every
     * copy of a duplicated header is replaced depends on the host: current Envoy removes them all and adds
     * one, older Envoys and the proxy-wasm Go SDK's host replace only the first. {@link #clearOwned} first
     * makes it one copy either way.
     */
    void replaceHeader(HeaderMapType map, String name, String value);

    /** Removes header {@code name}: every copy in Envoy, only the first in some hosts (see {@link #clearOwned}). */
    void removeHeader(HeaderMapType map, String name);

    /**
     * Prepares a header the filter owns, {@code names[n]} as matched in {@code m}, so that one replaceHeader
     * leaves exactly the filter's value on every host: removes each other spelling, and once per extra copy
     * the name itself. Only duplicated or other-case headers cost host calls.
     */
    default void clearOwned(HeaderMapType map, HeaderMatches m, Utf8String[] names, int n) {
        for (String spelling : m.otherSpellings(n)) {
            removeHeader(map, spelling);
        }
        for (int copy = 1; copy < m.count(n); copy++) {
            removeHeader(map, names[n]);
        }
    }

    /** {@link #removeHeader(HeaderMapType, String)} with a name encoded once. */
    default void removeHeader(HeaderMapType map, Utf8String name) {
        removeHeader(map, name.string);
    }

    /** {@link #getHeader(HeaderMapType, String)} with a name encoded once. */
    default String getHeader(HeaderMapType map, Utf8String name) {
        return getHeader(map, name.string);
    }

    /** {@link #replaceHeader(HeaderMapType, String, String)} with a name encoded once. */
    default void replaceHeader(HeaderMapType map, Utf8String name, String value) {
        replaceHeader(map, name.string, value);
    }

    /** {@link #replaceHeader(HeaderMapType, String, String)} with name and value encoded once. */
    default void replaceHeader(HeaderMapType map, Utf8String name, Utf8String value) {
        replaceHeader(map, name.string, value.string);
    }

    /**
     * Sets {@code name} to the UTF-8 {@code value} (such as a property read with {@link #getProperty}); the
     * value is what {@link Utf8#decode(byte[])} makes of it, so malformed bytes become U+FFFD as they would
     * through a {@code String}.
     */
    default void replaceHeader(HeaderMapType map, Utf8String name, byte[] value) {
        replaceHeader(map, name.string, Utf8.decode(value));
    }

    /** {@link #getProperty(String...)} with a path encoded once. */
    default byte[] getProperty(PropertyPath path) {
        return getProperty(path.segments);
    }

    /** The raw bytes of a proxy property such as {@code ["upstream", "address"]}, or {@code null}. */
    byte[] getProperty(String... path);

    int defineMetric(MetricType type, String name);

    void incrementMetric(int metricId, long delta);

    void recordMetric(int metricId, long value);

    long getMetric(int metricId);

    /** The shared value for {@code key} and its CAS token; value {@code null} and cas 0 when absent. */
    SharedValue getSharedData(String key);

    /**
     * Stores {@code value} if the key's CAS token still equals {@code cas} (0 = unconditional).
     *
     * @return false when another VM changed the value first (the caller re-reads and retries)
     */
    boolean setSharedData(String key, byte[] value, int cas);

    /** {@link #getSharedData(String)} with a key encoded once. */
    default SharedValue getSharedData(Utf8String key) {
        return getSharedData(key.string);
    }

    /** {@link #setSharedData(String, byte[], int)} with a key encoded once. */
    default boolean setSharedData(Utf8String key, byte[] value, int cas) {
        return setSharedData(key.string, value, cas);
    }

    /** Ends the stream with a response generated by the proxy; headers alternate name/value. */
    void sendLocalResponse(int status, String details, String body, String... headers);

    void log(LogLevel level, String message);

    long currentTimeNanos();
}
