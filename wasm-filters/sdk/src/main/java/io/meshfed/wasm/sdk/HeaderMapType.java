package io.meshfed.wasm.sdk;

/** Header maps of proxy-wasm ABI 0.2.1; {@link #code} is the wire value. */
public enum HeaderMapType {
    REQUEST_HEADERS(0), REQUEST_TRAILERS(1), RESPONSE_HEADERS(2), RESPONSE_TRAILERS(3);

    final int code;

    HeaderMapType(int code) {
        this.code = code;
    }
}
