package io.meshfed.wasm.host;

import io.roastedroot.proxywasm.internal.ProxyMap;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A header map whose replace sets only the first copy of a name and leaves the others, as Envoy's
 * {@code HeaderMap::setCopy} did before {@code envoy.reloadable_features.http_set_copy_replace_all_headers}
 * and as the proxy-wasm Go SDK's host emulator does; remove takes every copy, as in Envoy.
 * proxy-wasm-java-host's own map replaces every copy, which hides a filter that relies on that.
 */
final class FirstCopyHeaderMap implements ProxyMap {
    private final List<Map.Entry<String, String>> entries = new ArrayList<>();

    FirstCopyHeaderMap(String... pairs) {
        for (int i = 0; i < pairs.length; i += 2) {
            add(pairs[i], pairs[i + 1]);
        }
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public void add(String name, String value) {
        entries.add(new AbstractMap.SimpleEntry<>(name, value));
    }

    @Override
    public void put(String name, String value) {
        for (Map.Entry<String, String> e : entries) {
            if (e.getKey().equals(name)) {
                e.setValue(value);
                return;
            }
        }
        add(name, value);
    }

    @Override
    public Iterable<? extends Map.Entry<String, String>> entries() {
        return entries;
    }

    @Override
    public String get(String name) {
        for (Map.Entry<String, String> e : entries) {
            if (e.getKey().equals(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    @Override
    public void remove(String name) {
        entries.removeIf(e -> e.getKey().equals(name));
    }
}
