package io.meshfed.wasm.sdk;

import org.teavm.interop.Import;

/**
 * proxy-wasm ABI 0.2.1 host functions. Package-private: only {@link WasmHost} calls them, always with
 * addresses inside the {@link Arena}. Pointers are plain ints (wasm32 addresses).
 */
final class Imports {
    static final int OK = 0;
    static final int NOT_FOUND = 1;
    static final int CAS_MISMATCH = 8;

    private Imports() {}

    @Import(module = "env", name = "proxy_log")
    static native int log(int level, int msg, int msgLen);

    @Import(module = "env", name = "proxy_get_current_time_nanoseconds")
    static native int currentTimeNanoseconds(int retTime);

    @Import(module = "env", name = "proxy_get_buffer_bytes")
    static native int getBufferBytes(int bufferType, int start, int maxSize, int retPtr, int retLen);

    @Import(module = "env", name = "proxy_get_header_map_pairs")
    static native int getHeaderMapPairs(int mapType, int retPtr, int retLen);

    @Import(module = "env", name = "proxy_get_header_map_value")
    static native int getHeaderMapValue(int mapType, int key, int keyLen, int retPtr, int retLen);

    @Import(module = "env", name = "proxy_add_header_map_value")
    static native int addHeaderMapValue(int mapType, int key, int keyLen, int value, int valueLen);

    @Import(module = "env", name = "proxy_replace_header_map_value")
    static native int replaceHeaderMapValue(int mapType, int key, int keyLen, int value, int valueLen);

    @Import(module = "env", name = "proxy_remove_header_map_value")
    static native int removeHeaderMapValue(int mapType, int key, int keyLen);

    @Import(module = "env", name = "proxy_get_property")
    static native int getProperty(int path, int pathLen, int retPtr, int retLen);

    @Import(module = "env", name = "proxy_get_shared_data")
    static native int getSharedData(int key, int keyLen, int retPtr, int retLen, int retCas);

    @Import(module = "env", name = "proxy_set_shared_data")
    static native int setSharedData(int key, int keyLen, int value, int valueLen, int cas);

    @Import(module = "env", name = "proxy_define_metric")
    static native int defineMetric(int type, int name, int nameLen, int retId);

    @Import(module = "env", name = "proxy_increment_metric")
    static native int incrementMetric(int id, long delta);

    @Import(module = "env", name = "proxy_record_metric")
    static native int recordMetric(int id, long value);

    @Import(module = "env", name = "proxy_get_metric")
    static native int getMetric(int id, int retValue);

    @Import(module = "env", name = "proxy_send_local_response")
    static native int sendLocalResponse(int status, int details, int detailsLen, int body, int bodyLen,
            int headers, int headersLen, int grpcStatus);
}
