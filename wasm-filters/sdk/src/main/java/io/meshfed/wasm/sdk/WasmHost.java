package io.meshfed.wasm.sdk;

/**
 * {@link Host} over proxy-wasm ABI 0.2.1 host calls. Every method follows the same shape, which is how the
 * memory rules of {@link Arena} are kept: reset the arena, stage arguments into it, take {@link Arena#base()}
 * as the last step, make exactly one host call, then copy results out by offset.
 */
public final class WasmHost implements Host {
    public static final WasmHost INSTANCE = new WasmHost();

    private static final int PLUGIN_CONFIGURATION = 7;

    private WasmHost() {}

    @Override
    public String getHeader(HeaderMapType map, String name) {
        Arena.reset();
        int key = Arena.putUtf8(name);
        int keyLen = Arena.top() - key;
        int base = Arena.base();
        int rc = Imports.getHeaderMapValue(map.code, base + key, keyLen, base + Arena.OUT0, base + Arena.OUT1);
        if (rc == Imports.NOT_FOUND) {
            return null;
        }
        check("proxy_get_header_map_value", rc);
        int len = Arena.getInt(Arena.OUT1);
        if (len == 0) {
            return "";
        }
        return Arena.utf8(Arena.offsetOf(Arena.getInt(Arena.OUT0), len, base), len);
    }

    @Override
    public String getHeader(HeaderMapType map, Utf8String name) {
        Arena.reset();
        int key = stage(name);
        int base = Arena.base();
        int rc = Imports.getHeaderMapValue(map.code, base + key, name.utf8.length, base + Arena.OUT0, base + Arena.OUT1);
        if (rc == Imports.NOT_FOUND) {
            return null;
        }
        check("proxy_get_header_map_value", rc);
        int len = Arena.getInt(Arena.OUT1);
        if (len == 0) {
            return "";
        }
        return Arena.utf8(Arena.offsetOf(Arena.getInt(Arena.OUT0), len, base), len);
    }

    @Override
    public String[] getHeaders(HeaderMapType map) {
        int len = readPairs(map);
        return len == 0 ? new String[0] : HeaderMapCodec.decode(Arena.memory(), pairsOffset(len), len);
    }

    @Override
    public HeaderMatches matchHeaders(HeaderMapType map, Utf8String[] names, int maxValueBytes) {
        int len = readPairs(map);
        return len == 0 ? new HeaderMatches.Builder(names.length).build()
                : HeaderMapCodec.match(Arena.memory(), pairsOffset(len), len, names, maxValueBytes);
    }

    /** Has the host write {@code map}'s serialized pairs; returns their length in bytes (0: an empty map). */
    private static int readPairs(HeaderMapType map) {
        Arena.reset();
        int base = Arena.base();
        check("proxy_get_header_map_pairs", Imports.getHeaderMapPairs(map.code, base + Arena.OUT0, base + Arena.OUT1));
        return Arena.getInt(Arena.OUT1);
    }

    /** Where in guest memory the pairs {@link #readPairs} had written ({@code len} bytes) start. */
    private static int pairsOffset(int len) {
        return Arena.offsetOf(Arena.getInt(Arena.OUT0), len, Arena.base());
    }

    @Override
    public void addHeader(HeaderMapType map, String name, String value) {
        Arena.reset();
        int key = Arena.putUtf8(name);
        int keyLen = Arena.top() - key;
        int val = Arena.putUtf8(value);
        int valLen = Arena.top() - val;
        int base = Arena.base();
        check("proxy_add_header_map_value", Imports.addHeaderMapValue(map.code, base + key, keyLen, base + val, valLen));
    }

    @Override
    public void replaceHeader(HeaderMapType map, String name, String value) {
        Arena.reset();
        int key = Arena.putUtf8(name);
        int keyLen = Arena.top() - key;
        int val = Arena.putUtf8(value);
        int valLen = Arena.top() - val;
        int base = Arena.base();
        check("proxy_replace_header_map_value",
                Imports.replaceHeaderMapValue(map.code, base + key, keyLen, base + val, valLen));
    }

    @Override
    public void replaceHeader(HeaderMapType map, Utf8String name, String value) {
        Arena.reset();
        int key = stage(name);
        int val = Arena.putUtf8(value);
        replace(map, key, name.utf8.length, val, Arena.top() - val);
    }

    @Override
    public void replaceHeader(HeaderMapType map, Utf8String name, Utf8String value) {
        Arena.reset();
        int key = stage(name);
        int val = stage(value);
        replace(map, key, name.utf8.length, val, value.utf8.length);
    }

    @Override
    public void replaceHeader(HeaderMapType map, Utf8String name, byte[] value) {
        if (!Utf8.isAscii(value)) {
            // Same bytes as the String overload would send: malformed sequences become U+FFFD.
            replaceHeader(map, name, Utf8.decode(value));
            return;
        }
        Arena.reset();
        int key = stage(name);
        int val = Arena.putBytes(value);
        replace(map, key, name.utf8.length, val, value.length);
    }

    /** The host call of every replaceHeader overload; arguments are staged, nothing allocates from here on. */
    private static void replace(HeaderMapType map, int key, int keyLen, int val, int valLen) {
        int base = Arena.base();
        check("proxy_replace_header_map_value",
                Imports.replaceHeaderMapValue(map.code, base + key, keyLen, base + val, valLen));
    }

    @Override
    public void removeHeader(HeaderMapType map, Utf8String name) {
        Arena.reset();
        int key = stage(name);
        int base = Arena.base();
        int rc = Imports.removeHeaderMapValue(map.code, base + key, name.utf8.length);
        if (rc != Imports.NOT_FOUND) {
            check("proxy_remove_header_map_value", rc);
        }
    }

    @Override
    public void removeHeader(HeaderMapType map, String name) {
        Arena.reset();
        int key = Arena.putUtf8(name);
        int keyLen = Arena.top() - key;
        int base = Arena.base();
        int rc = Imports.removeHeaderMapValue(map.code, base + key, keyLen);
        if (rc != Imports.NOT_FOUND) {
            check("proxy_remove_header_map_value", rc);
        }
    }

    @Override
    public byte[] getProperty(String... path) {
        Arena.reset();
        int start = Arena.top();
        for (int i = 0; i < path.length; i++) {
            if (i > 0) {
                Arena.put(0);
            }
            Arena.putUtf8(path[i]);
        }
        int pathLen = Arena.top() - start;
        int base = Arena.base();
        int rc = Imports.getProperty(base + start, pathLen, base + Arena.OUT0, base + Arena.OUT1);
        if (rc == Imports.NOT_FOUND) {
            return null;
        }
        check("proxy_get_property", rc);
        return copyOut(base);
    }

    @Override
    public byte[] getProperty(PropertyPath path) {
        Arena.reset();
        int start = stage(path);
        int base = Arena.base();
        int rc = Imports.getProperty(base + start, path.utf8.length, base + Arena.OUT0, base + Arena.OUT1);
        if (rc == Imports.NOT_FOUND) {
            return null;
        }
        check("proxy_get_property", rc);
        return copyOut(base);
    }

    /** Bytes of a host buffer such as the plugin configuration; {@code null} when empty. */
    byte[] getBuffer(int bufferType, int size) {
        if (size <= 0) {
            return null;
        }
        Arena.reset();
        int base = Arena.base();
        int rc = Imports.getBufferBytes(bufferType, 0, size, base + Arena.OUT0, base + Arena.OUT1);
        if (rc == Imports.NOT_FOUND) {
            return null;
        }
        check("proxy_get_buffer_bytes", rc);
        return copyOut(base);
    }

    byte[] getPluginConfiguration(int size) {
        return getBuffer(PLUGIN_CONFIGURATION, size);
    }

    @Override
    public int defineMetric(MetricType type, String name) {
        Arena.reset();
        int n = Arena.putUtf8(name);
        int nLen = Arena.top() - n;
        int base = Arena.base();
        check("proxy_define_metric", Imports.defineMetric(type.code, base + n, nLen, base + Arena.OUT0));
        return Arena.getInt(Arena.OUT0);
    }

    @Override
    public void incrementMetric(int metricId, long delta) {
        check("proxy_increment_metric", Imports.incrementMetric(metricId, delta));
    }

    @Override
    public void recordMetric(int metricId, long value) {
        check("proxy_record_metric", Imports.recordMetric(metricId, value));
    }

    @Override
    public long getMetric(int metricId) {
        Arena.reset();
        Arena.setInt(Arena.OUT0 + 4, 0);
        int base = Arena.base();
        check("proxy_get_metric", Imports.getMetric(metricId, base + Arena.OUT0));
        return Arena.getLong(Arena.OUT0);
    }

    @Override
    public SharedValue getSharedData(String key) {
        Arena.reset();
        int k = Arena.putUtf8(key);
        int kLen = Arena.top() - k;
        int base = Arena.base();
        int rc = Imports.getSharedData(base + k, kLen, base + Arena.OUT0, base + Arena.OUT1, base + Arena.OUT2);
        if (rc == Imports.NOT_FOUND) {
            return new SharedValue(null, 0);
        }
        check("proxy_get_shared_data", rc);
        int cas = Arena.getInt(Arena.OUT2);
        return new SharedValue(copyOut(base), cas);
    }

    @Override
    public SharedValue getSharedData(Utf8String key) {
        Arena.reset();
        int k = stage(key);
        int base = Arena.base();
        int rc = Imports.getSharedData(base + k, key.utf8.length, base + Arena.OUT0, base + Arena.OUT1, base + Arena.OUT2);
        if (rc == Imports.NOT_FOUND) {
            return new SharedValue(null, 0);
        }
        check("proxy_get_shared_data", rc);
        int cas = Arena.getInt(Arena.OUT2);
        return new SharedValue(copyOut(base), cas);
    }

    @Override
    public boolean setSharedData(Utf8String key, byte[] value, int cas) {
        Arena.reset();
        int k = stage(key);
        int v = Arena.putBytes(value);
        int base = Arena.base();
        int rc = Imports.setSharedData(base + k, key.utf8.length, base + v, value.length, cas);
        if (rc == Imports.CAS_MISMATCH) {
            return false;
        }
        check("proxy_set_shared_data", rc);
        return true;
    }

    @Override
    public boolean setSharedData(String key, byte[] value, int cas) {
        Arena.reset();
        int k = Arena.putUtf8(key);
        int kLen = Arena.top() - k;
        int v = Arena.putBytes(value);
        int base = Arena.base();
        int rc = Imports.setSharedData(base + k, kLen, base + v, value.length, cas);
        if (rc == Imports.CAS_MISMATCH) {
            return false;
        }
        check("proxy_set_shared_data", rc);
        return true;
    }

    @Override
    public void sendLocalResponse(int status, String details, String body, String... headers) {
        Arena.reset();
        int d = Arena.putUtf8(details);
        int dLen = Arena.top() - d;
        int b = Arena.putUtf8(body);
        int bLen = Arena.top() - b;
        int h = Arena.top();
        HeaderMapCodec.encodeIntoArena(headers);
        int hLen = Arena.top() - h;
        int base = Arena.base();
        check("proxy_send_local_response",
                Imports.sendLocalResponse(status, base + d, dLen, base + b, bLen, base + h, hLen, -1));
    }

    @Override
    public void log(LogLevel level, String message) {
        Arena.reset();
        int m = Arena.putUtf8(message.length() > 4096 ? message.substring(0, 4096) : message);
        int mLen = Arena.top() - m;
        int base = Arena.base();
        Imports.log(level.ordinal(), base + m, mLen);
    }

    @Override
    public long currentTimeNanos() {
        Arena.reset();
        // Some hosts write only the low 32 bits; a stale high word must not survive.
        Arena.setInt(Arena.OUT0 + 4, 0);
        int base = Arena.base();
        check("proxy_get_current_time_nanoseconds", Imports.currentTimeNanoseconds(base + Arena.OUT0));
        return Arena.getLong(Arena.OUT0);
    }

    /**
     * Offset of {@code s}'s bytes in the arena: pinned there on first use (copied once for the VM's life),
     * or staged for this call when the pinned region is full. Call after {@link Arena#reset()}.
     */
    private static int stage(Utf8String s) {
        if (s.pinned == Utf8String.NOT_PINNED) {
            s.pinned = Arena.pin(s.utf8);
        }
        return s.pinned >= 0 ? s.pinned : Arena.putBytes(s.utf8);
    }

    private static int stage(PropertyPath p) {
        if (p.pinned == Utf8String.NOT_PINNED) {
            p.pinned = Arena.pin(p.utf8);
        }
        return p.pinned >= 0 ? p.pinned : Arena.putBytes(p.utf8);
    }

    private static byte[] copyOut(int base) {
        int len = Arena.getInt(Arena.OUT1);
        if (len == 0) {
            return new byte[0];
        }
        return Arena.copy(Arena.offsetOf(Arena.getInt(Arena.OUT0), len, base), len);
    }

    private static void check(String call, int rc) {
        if (rc != Imports.OK) {
            throw new HostCallException(call, rc);
        }
    }
}
