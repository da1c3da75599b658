package io.meshfed.wasm.filters.telemetry;

import io.meshfed.wasm.sdk.ConfigReader;
import io.meshfed.wasm.sdk.InvalidConfigException;

/** Validated configuration of telemetry-tags; immutable. See docs/wasm-filters.md for each key. */
public final class TelemetryTagsConfig {
    /** Tag names in the order they appear in headers and metric names. */
    static final String[] TAGS = {"mesh", "cluster", "network", "locality"};

    final String[] values = new String[TAGS.length];
    final String headerPrefix;
    final String metricPrefix;

    private TelemetryTagsConfig(ConfigReader r) {
        ConfigReader tags = r.object("tags");
        boolean any = false;
        for (int i = 0; i < TAGS.length; i++) {
            values[i] = tags.string(TAGS[i], null);
            if (values[i] != null) {
                checkTagValue(TAGS[i], values[i]);
                any = true;
            }
        }
        tags.finish();
        if (!any) {
            throw new InvalidConfigException("tags: set at least one of mesh, cluster, network, locality");
        }
        headerPrefix = r.headerName("headerPrefix", "x-meshfed-");
        metricPrefix = r.string("metricPrefix", "meshfed");
        r.finish();
    }

    public static TelemetryTagsConfig parse(byte[] configuration) {
        return new TelemetryTagsConfig(ConfigReader.parse(configuration));
    }

    /** Tag values go into metric names, where '.' and ';' would split or confuse Envoy's tag extraction. */
    private static void checkTagValue(String tag, String v) {
        if (v.isEmpty()) {
            throw new InvalidConfigException("tags." + tag + ": must not be empty");
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '/';
            if (!ok) {
                throw new InvalidConfigException("tags." + tag + ": \"" + v + "\" may use only letters, digits, '-', '_', '/'");
            }
        }
    }
}
