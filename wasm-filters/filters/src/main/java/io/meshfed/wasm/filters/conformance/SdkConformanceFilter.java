package io.meshfed.wasm.filters.conformance;

import io.meshfed.wasm.sdk.Action;
import io.meshfed.wasm.sdk.HeaderMapType;
import io.meshfed.wasm.sdk.Host;
import io.meshfed.wasm.sdk.HttpContext;
import io.meshfed.wasm.sdk.LogLevel;
import io.meshfed.wasm.sdk.MetricType;
import io.meshfed.wasm.sdk.RootContext;
import io.meshfed.wasm.sdk.SharedValue;
import io.meshfed.wasm.sdk.Utf8;

/**
 * Not a product filter: exercises every {@link Host} call the three filters do not, so the SDK is tested
 * end to end in a real host (sdk-conformance.wasm; never deployed). Per request it reports what it saw in
 * response headers named {@code x-sdk-*}.
 */
public final class SdkConformanceFilter extends RootContext {
    private int gauge;
    private int counter;

    public SdkConformanceFilter(Host host) {
        super(host);
    }

    @Override
    public boolean onConfigure(byte[] configuration) {
        gauge = host.defineMetric(MetricType.GAUGE, "sdk_gauge");
        counter = host.defineMetric(MetricType.COUNTER, "sdk_counter");
        host.log(LogLevel.DEBUG, "sdk-conformance: configuration " + (configuration == null ? "none" : Utf8.decode(configuration)));
        return true;
    }

    private static byte[] ascii(String s) {
        byte[] b = new byte[s.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) s.charAt(i);
        }
        return b;
    }

    @Override
    public HttpContext newHttpContext(int contextId) {
        return new HttpContext(host) {
            private String summary = "";

            @Override
            public Action onRequestHeaders(int headerCount, boolean endOfStream) {
                String[] all = host.getHeaders(HeaderMapType.REQUEST_HEADERS);
                StringBuilder names = new StringBuilder();
                for (int i = 0; i < all.length; i += 2) {
                    names.append(i == 0 ? "" : ",").append(all[i]).append('=').append(all[i + 1].length());
                }
                host.addHeader(HeaderMapType.REQUEST_HEADERS, "x-sdk-added", "a");
                host.addHeader(HeaderMapType.REQUEST_HEADERS, "x-sdk-added", "b");
                host.removeHeader(HeaderMapType.REQUEST_HEADERS, "x-remove-me");
                host.removeHeader(HeaderMapType.REQUEST_HEADERS, "x-never-there");
                byte[] prop = host.getProperty("request", "path");
                host.incrementMetric(counter, 2);
                host.recordMetric(gauge, all.length / 2);
                SharedValue v = host.getSharedData("sdk.hits");
                int hits = v.value() == null ? 0 : Integer.parseInt(Utf8.decode(v.value()));
                boolean stored = host.setSharedData("sdk.hits", ascii(Integer.toString(hits + 1)), v.cas());
                // A token that does not match the stored one must be refused (0 would mean "unconditional").
                boolean stale = host.setSharedData("sdk.hits", new byte[] {'0'}, host.getSharedData("sdk.hits").cas() + 1000);
                summary = "count=" + headerCount + ";headers=" + names + ";path=" + (prop == null ? "none" : Utf8.decode(prop))
                        + ";hits=" + (hits + 1) + ";stored=" + stored + ";staleCas=" + stale + ";counter="
                        + host.getMetric(counter) + ";time=" + (host.currentTimeNanos() != 0);
                if ("/local".equals(host.getHeader(HeaderMapType.REQUEST_HEADERS, ":path"))) {
                    host.sendLocalResponse(418, "sdk_local", "caf\u00e9 body", "x-sdk-local", "yes", "x-sdk-summary", summary);
                    return Action.PAUSE;
                }
                return Action.CONTINUE;
            }

            @Override
            public Action onResponseHeaders(int headerCount, boolean endOfStream) {
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, "x-sdk-summary", summary);
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, "x-sdk-unicode", "\u00fcber \ud83d\ude00");
                host.log(LogLevel.INFO, "sdk-conformance: " + summary);
                return Action.CONTINUE;
            }
        };
    }
}
