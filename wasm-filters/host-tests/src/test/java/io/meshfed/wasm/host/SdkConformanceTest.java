package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roastedroot.proxywasm.SimpleSharedDataHandler;
import io.roastedroot.proxywasm.internal.Action;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every SDK host call the filters do not use, through sdk-conformance.wasm in the third-party host. */
class SdkConformanceTest {
    @ParameterizedTest
    @EnumSource(FilterModule.Mode.class)
    void everyHostCallRoundTrips(FilterModule.Mode mode) throws Exception {
        List<String> logs = Collections.synchronizedList(new ArrayList<>());
        SimpleSharedDataHandler shared = new SimpleSharedDataHandler();
        try (FilterHost host = FilterHost.start(FilterModule.SDK_CONFORMANCE, mode, "{\"x\": 1}", shared,
                new RecordingMetrics(), Map.of(), logs)) {
            Exchange first = new Exchange(":path", "/one", "x-remove-me", "gone", "x-long", "v".repeat(300))
                    .property(List.of("request", "path"), "/one");
            FilterHost.Outcome o = host.exchange(first, ":status", "200");
            assertEquals(Action.CONTINUE, o.request());
            assertEquals(List.of("a", "b"), values(first, "x-sdk-added"));
            assertEquals(null, first.requestHeaders.get("x-remove-me"));
            assertEquals("count=3;headers=:path=4,x-remove-me=4,x-long=300;path=/one;hits=1;stored=true;staleCas=false;"
                    + "counter=2;time=true", first.responseHeaders.get("x-sdk-summary"));
            assertEquals("\u00fcber \ud83d\ude00", first.responseHeaders.get("x-sdk-unicode"));
            assertEquals(2, host.metrics.value("sdk_counter"));
            assertEquals(3, host.metrics.value("sdk_gauge"));

            Exchange local = new Exchange(":path", "/local");
            FilterHost.Outcome l = host.exchange(local, ":status", "200");
            assertEquals(Action.PAUSE, l.request());
            assertEquals(418, l.localResponse().statusCode());
            assertEquals("caf\u00e9 body", l.localResponseBody());
            assertEquals("yes", l.localResponseHeader("x-sdk-local"));
            assertEquals("count=1;headers=:path=6;path=none;hits=2;stored=true;staleCas=false;counter=4;time=true",
                    l.localResponseHeader("x-sdk-summary"));
            assertEquals("2", new String(shared.getSharedData("sdk.hits").data()));
            assertTrue(logs.contains("DEBUG sdk-conformance: configuration {\"x\": 1}"), logs.toString());
            assertTrue(logs.stream().anyMatch(s -> s.startsWith("INFO sdk-conformance: count=3;")), logs.toString());
        }
    }

    private static List<String> values(Exchange e, String name) {
        List<String> out = new ArrayList<>();
        for (var entry : e.requestHeaders.entries()) {
            if (entry.getKey().equals(name)) {
                out.add(entry.getValue());
            }
        }
        return out;
    }
}
