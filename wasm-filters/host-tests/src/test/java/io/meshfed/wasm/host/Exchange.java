package io.meshfed.wasm.host;

import io.roastedroot.proxywasm.internal.ArrayProxyMap;
import io.roastedroot.proxywasm.internal.HttpRequestAdaptor;
import io.roastedroot.proxywasm.internal.PluginHttpContext;
import io.roastedroot.proxywasm.internal.ProxyMap;
import io.roastedroot.proxywasm.internal.WasmResult;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One HTTP exchange as the proxy presents it to the filter: headers both ways and stream properties. */
public final class Exchange implements HttpRequestAdaptor {
    public final ProxyMap requestHeaders;
    public final ProxyMap responseHeaders;
    private final ProxyMap empty = new ArrayProxyMap();
    private final Map<List<String>, byte[]> properties = new HashMap<>();

    public Exchange(String... requestHeaderPairs) {
        this(ProxyMap.of(requestHeaderPairs), new ArrayProxyMap());
    }

    /** Request headers as given, such as an {@code ArrayBytesProxyMap} with values that are not UTF-8. */
    public Exchange(ProxyMap requestHeaders) {
        this(requestHeaders, new ArrayProxyMap());
    }

    /** Both header maps as given: the response map starts as it is and receives the upstream's headers. */
    public Exchange(ProxyMap requestHeaders, ProxyMap responseHeaders) {
        this.requestHeaders = requestHeaders;
        this.responseHeaders = responseHeaders;
    }

    public Exchange property(List<String> path, String value) {
        return property(path, value.getBytes(StandardCharsets.UTF_8));
    }

    /** A property as raw bytes, which need not be valid UTF-8. */
    public Exchange property(List<String> path, byte[] value) {
        properties.put(path, value.clone());
        return this;
    }

    @Override
    public String remoteAddress() {
        return "10.1.0.9";
    }

    @Override
    public int remotePort() {
        return 40000;
    }

    @Override
    public String localAddress() {
        return "10.1.0.1";
    }

    @Override
    public int localPort() {
        return 8080;
    }

    @Override
    public String protocol() {
        return "HTTP/1.1";
    }

    @Override
    public ProxyMap getHttpRequestHeaders() {
        return requestHeaders;
    }

    @Override
    public ProxyMap getHttpRequestTrailers() {
        return empty;
    }

    @Override
    public ProxyMap getHttpResponseHeaders() {
        return responseHeaders;
    }

    @Override
    public ProxyMap getHttpResponseTrailers() {
        return empty;
    }

    @Override
    public ProxyMap getGrpcReceiveInitialMetaData() {
        return empty;
    }

    @Override
    public ProxyMap getGrpcReceiveTrailerMetaData() {
        return empty;
    }

    @Override
    public byte[] getProperty(PluginHttpContext context, List<String> path) {
        return properties.get(path);
    }

    @Override
    public WasmResult setProperty(PluginHttpContext context, List<String> path, byte[] value) {
        properties.put(path, value);
        return WasmResult.OK;
    }
}
