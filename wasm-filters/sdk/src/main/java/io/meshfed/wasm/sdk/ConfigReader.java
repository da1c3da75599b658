package io.meshfed.wasm.sdk;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed, strict access to a JSON configuration object: every getter names the key at fault, and
 * {@link #finish()} rejects keys nobody asked for (so a typo is an error, not a silent default).
 * Use once per configuration; not thread-safe.
 */
public final class ConfigReader {
    private final String prefix;
    private final Map<String, Object> values;
    private final Set<String> read = new HashSet<>();

    private ConfigReader(String prefix, Map<String, Object> values) {
        this.prefix = prefix;
        this.values = values;
    }

    /**
     * Parses configuration bytes: a JSON object in well-formed UTF-8. Absent or empty configuration is
     * refused rather than read as {} (a proxy that lost the configuration must not start with defaults),
     * and so are malformed bytes, which would otherwise become U+FFFD in header and metric names.
     */
    public static ConfigReader parse(byte[] configuration) {
        if (configuration == null || configuration.length == 0) {
            throw new InvalidConfigException("configuration is empty (write {} for the defaults)");
        }
        int malformed = Utf8.firstMalformed(configuration);
        if (malformed >= 0) {
            throw new InvalidConfigException("configuration is not valid UTF-8 (byte " + malformed + ")");
        }
        Object root = Json.parse(Utf8.decode(configuration));
        if (!(root instanceof Map)) {
            throw new InvalidConfigException("configuration must be a JSON object");
        }
        return new ConfigReader("", cast(root));
    }

    public String string(String key, String defaultValue) {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof String)) {
            throw wrong(key, "a string");
        }
        return (String) v;
    }

    /** A string that must be a valid lower-case HTTP header name. */
    public String headerName(String key, String defaultValue) {
        String v = string(key, defaultValue);
        if (v == null) {
            return null;
        }
        if (v.isEmpty()) {
            throw new InvalidConfigException(path(key) + ": header name must not be empty");
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            if (!ok) {
                throw new InvalidConfigException(path(key) + ": \"" + v + "\" is not a lower-case header name");
            }
        }
        return v;
    }

    public boolean bool(String key, boolean defaultValue) {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Boolean)) {
            throw wrong(key, "true or false");
        }
        return (Boolean) v;
    }

    public double number(String key, double defaultValue, double min, double max) {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof Double)) {
            throw wrong(key, "a number");
        }
        double d = (Double) v;
        if (!(d >= min && d <= max)) {
            throw new InvalidConfigException(path(key) + ": " + format(d) + " is outside [" + format(min) + ", "
                    + format(max) + "]");
        }
        return d;
    }

    public int integer(String key, int defaultValue, int min, int max) {
        double d = number(key, defaultValue, min, max);
        if (d != (long) d) {
            throw new InvalidConfigException(path(key) + ": " + format(d) + " is not a whole number");
        }
        return (int) d;
    }

    /** A list of strings (such as a property path); {@code defaultValue} when absent. */
    public List<String> strings(String key, List<String> defaultValue) {
        Object v = take(key);
        if (v == null) {
            return defaultValue;
        }
        if (!(v instanceof List)) {
            throw wrong(key, "an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            if (!(o instanceof String)) {
                throw wrong(key, "an array of strings");
            }
            out.add((String) o);
        }
        return out;
    }

    /** An object whose values are all strings (such as an address-to-cluster map); empty when absent. */
    public Map<String, String> stringMap(String key) {
        Object v = take(key);
        Map<String, String> out = new LinkedHashMap<>();
        if (v == null) {
            return out;
        }
        if (!(v instanceof Map)) {
            throw wrong(key, "an object of strings");
        }
        for (Map.Entry<String, Object> e : ConfigReader.<Map<String, Object>>cast(v).entrySet()) {
            if (!(e.getValue() instanceof String)) {
                throw new InvalidConfigException(path(key) + "." + e.getKey() + ": must be a string");
            }
            out.put(e.getKey(), (String) e.getValue());
        }
        return out;
    }

    /** A nested object read with the same strictness; an empty one when absent. */
    public ConfigReader object(String key) {
        Object v = take(key);
        if (v == null) {
            return new ConfigReader(path(key) + ".", new LinkedHashMap<>());
        }
        if (!(v instanceof Map)) {
            throw wrong(key, "an object");
        }
        return new ConfigReader(path(key) + ".", cast(v));
    }

    /** Reads every entry of this object as a nested object, mapping each through {@code reader}. */
    public <T> Map<String, T> entriesOfObjects(EntryReader<T> reader) {
        Map<String, T> out = new LinkedHashMap<>();
        for (String key : values.keySet()) {
            out.put(key, reader.read(key, object(key)));
        }
        return out;
    }

    /** Maps one nested configuration object to a value. */
    @FunctionalInterface
    public interface EntryReader<T> {
        T read(String key, ConfigReader entry);
    }

    /** Fails on the first key that no getter read. Call after reading everything. */
    public void finish() {
        for (String key : values.keySet()) {
            if (!read.contains(key)) {
                throw new InvalidConfigException(path(key) + ": unknown key");
            }
        }
    }

    private Object take(String key) {
        read.add(key);
        Object v = values.get(key);
        return v == Json.NULL ? null : v;
    }

    private InvalidConfigException wrong(String key, String expected) {
        return new InvalidConfigException(path(key) + ": must be " + expected);
    }

    private String path(String key) {
        return prefix + key;
    }

    private static String format(double d) {
        if (d != d) {
            return "NaN";
        }
        if (d == Double.POSITIVE_INFINITY || d == Double.NEGATIVE_INFINITY) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        if (Math.abs(d) >= 1e15) {
            return scientific(d);
        }
        if (d == (long) d) {
            return Long.toString((long) d);
        }
        // Three decimals are enough to point at the offending value without Double.toString's tables.
        long thousandths = Math.round(d * 1000);
        String sign = thousandths < 0 ? "-" : "";
        thousandths = Math.abs(thousandths);
        String frac = Long.toString(1000 + thousandths % 1000).substring(1);
        return sign + (thousandths / 1000) + "." + frac;
    }

    /** {@code d} as {@code <digit>.<3 digits>e<exponent>}, for magnitudes whose digits would not help. */
    private static String scientific(double d) {
        double m = Math.abs(d);
        int exponent = 0;
        while (m >= 10) {
            m /= 10;
            exponent++;
        }
        long thousandths = Math.round(m * 1000);
        if (thousandths >= 10_000) {
            thousandths /= 10;
            exponent++;
        }
        String frac = Long.toString(1000 + thousandths % 1000).substring(1);
        return (d < 0 ? "-" : "") + (thousandths / 1000) + "." + frac + "e" + exponent;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object o) {
        return (T) o;
    }
}
