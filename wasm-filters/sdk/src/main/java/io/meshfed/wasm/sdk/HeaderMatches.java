package io.meshfed.wasm.sdk;

/**
 * What one read of a whole header map found for a few header names, compared ignoring ASCII case (Envoy
 * lower-cases names; another host may not): per name, its values in map order, and every other spelling
 * of the name that was present, so a filter can remove a header it owns whatever case it was sent in.
 * Built by {@link Host#matchHeaders}; immutable.
 */
public final class HeaderMatches {
    private static final String[] NONE = new String[0];

    private final String[][] values;
    private final String[][] otherSpellings;

    HeaderMatches(String[][] values, String[][] otherSpellings) {
        this.values = values;
        this.otherSpellings = otherSpellings;
    }

    /**
     * Matches decoded pairs (alternating name/value, as {@link Host#getHeaders} returns them): the plain-Java
     * form of what {@link WasmHost} does on the wire bytes.
     */
    public static HeaderMatches of(String[] pairs, Utf8String[] names, int maxValueBytes) {
        Builder b = new Builder(names.length);
        for (int p = 0; p + 1 < pairs.length; p += 2) {
            for (int n = 0; n < names.length; n++) {
                String name = pairs[p];
                if (name.length() == names[n].string.length() && isAsciiFoldOf(name, names[n].string)) {
                    String value = pairs[p + 1];
                    b.add(n, name.equals(names[n].string) ? null : name,
                            Utf8.encode(value).length > maxValueBytes ? null : value);
                }
            }
        }
        return b.build();
    }

    /** Number of values of header {@code name} (its index in the names matched). */
    public int count(int name) {
        return values[name].length;
    }

    /**
     * The {@code i}th value of header {@code name}; {@code null} when it was longer than the {@code
     * maxValueBytes} given to {@link Host#matchHeaders} (such a value is never copied out of the host).
     */
    public String value(int name, int i) {
        return values[name][i];
    }

    /** Spellings of {@code name} present in the map that differ from the one asked for (distinct). */
    public String[] otherSpellings(int name) {
        return otherSpellings[name];
    }

    /** Same length strings equal up to ASCII case (header names are ASCII tokens; nothing else is folded). */
    static boolean isAsciiFoldOf(String a, String b) {
        for (int i = 0; i < a.length(); i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y && lower(x) != lower(y)) {
                return false;
            }
        }
        return true;
    }

    static int lower(int c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    /** Collects matches per name; arrays grow only for names that matched. */
    static final class Builder {
        private final String[][] values;
        private final String[][] spellings;

        Builder(int names) {
            values = new String[names][];
            spellings = new String[names][];
        }

        void add(int name, String otherSpelling, String value) {
            values[name] = append(values[name], value);
            if (otherSpelling != null && !contains(spellings[name], otherSpelling)) {
                spellings[name] = append(spellings[name], otherSpelling);
            }
        }

        HeaderMatches build() {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == null) {
                    values[i] = NONE;
                }
                if (spellings[i] == null) {
                    spellings[i] = NONE;
                }
            }
            return new HeaderMatches(values, spellings);
        }

        private static String[] append(String[] a, String s) {
            if (a == null) {
                return new String[] {s};
            }
            String[] out = new String[a.length + 1];
            System.arraycopy(a, 0, out, 0, a.length);
            out[a.length] = s;
            return out;
        }

        private static boolean contains(String[] a, String s) {
            if (a != null) {
                for (String x : a) {
                    if (x.equals(s)) {
                        return true;
                    }
                }
            }
            return false;
        }
    }
}
