package io.meshfed.wasm.sdk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser for plugin configuration. It runs on Java objects only, after the
 * configuration was copied out of the arena, so it may allocate freely. Objects become
 * {@code LinkedHashMap<String, Object>} (duplicate keys rejected), arrays {@code List<Object>}, numbers
 * {@code Double}, plus {@code String}, {@code Boolean} and {@link #NULL}.
 */
public final class Json {
    /** JSON null (a real object, so a map can tell "null" from "absent"). */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private static final int MAX_DEPTH = 32;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    public static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.pos != text.length()) {
            throw p.error("unexpected trailing data");
        }
        return v;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", NULL);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Map<String, Object> object(int depth) {
        pos++;
        Map<String, Object> out = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
            pos++;
            return out;
        }
        while (true) {
            ws();
            if (peek() != '"') {
                throw error("expected a quoted key");
            }
            String key = string();
            ws();
            expect(':');
            ws();
            if (out.containsKey(key)) {
                throw error("duplicate key \"" + key + "\"");
            }
            out.put(key, value(depth + 1));
            ws();
            char c = next();
            if (c == '}') {
                return out;
            }
            if (c != ',') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        pos++;
        List<Object> out = new ArrayList<>();
        ws();
        if (peek() == ']') {
            pos++;
            return out;
        }
        while (true) {
            ws();
            out.add(value(depth + 1));
            ws();
            char c = next();
            if (c == ']') {
                return out;
            }
            if (c != ',') {
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                requirePairedSurrogates(sb);
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) {
                        throw error("truncated \\u escape");
                    }
                    int cp = 0;
                    for (int i = 0; i < 4; i++) {
                        int d = hexDigit(text.charAt(pos++));
                        if (d < 0) {
                            throw error("bad \\u escape");
                        }
                        cp = cp * 16 + d;
                    }
                    sb.append((char) cp);
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    /**
     * A JSON unicode escape can name half of a surrogate pair alone; such a string has no UTF-8 form (it would
     * become U+FFFD in a header or metric name), so it is refused like malformed input.
     */
    private void requirePairedSurrogates(StringBuilder sb) {
        for (int i = 0; i < sb.length(); i++) {
            char c = sb.charAt(i);
            if (c >= 0xD800 && c <= 0xDBFF && i + 1 < sb.length() && sb.charAt(i + 1) >= 0xDC00 && sb.charAt(i + 1) <= 0xDFFF) {
                i++;
            } else if (c >= 0xD800 && c <= 0xDFFF) {
                throw error("unpaired surrogate \\u" + Integer.toHexString(c) + " in a string");
            }
        }
    }

    private Double number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("bad number");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("bad number: digit expected after '.'");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("bad number: digit expected in exponent");
            }
            digits();
        }
        return decimal(start, pos);
    }

    /**
     * Value of the already validated number text [start, end): mantissa digits scaled by powers of ten.
     * Exact for integers up to 2^53 and for the short decimals configuration uses; avoids
     * {@code Double.parseDouble}, which adds tens of kilobytes to a module.
     */
    private Double decimal(int start, int end) {
        int i = start;
        boolean negative = text.charAt(i) == '-';
        if (negative) {
            i++;
        }
        double mantissa = 0;
        int scale = 0;
        boolean fraction = false;
        for (; i < end; i++) {
            char c = text.charAt(i);
            if (c == '.') {
                fraction = true;
            } else if (c == 'e' || c == 'E') {
                break;
            } else {
                mantissa = mantissa * 10 + (c - '0');
                if (fraction) {
                    scale--;
                }
            }
        }
        if (i < end) {
            i++;
            boolean negExp = text.charAt(i) == '-';
            if (text.charAt(i) == '-' || text.charAt(i) == '+') {
                i++;
            }
            int exp = 0;
            for (; i < end; i++) {
                exp = Math.min(exp * 10 + (text.charAt(i) - '0'), 10_000);
            }
            scale += negExp ? -exp : exp;
        }
        double v = mantissa;
        for (; scale > 0 && v != Double.POSITIVE_INFINITY; scale--) {
            v *= 10;
        }
        for (; scale < 0 && v != 0; scale++) {
            v /= 10;
        }
        return negative ? -v : v;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected token");
        }
        pos += word.length();
        return value;
    }

    private void ws() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private char next() {
        if (pos >= text.length()) {
            throw error("unexpected end of input");
        }
        return text.charAt(pos++);
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected '" + c + "'");
        }
    }

    private InvalidConfigException error(String message) {
        return new InvalidConfigException("invalid JSON at offset " + pos + ": " + message);
    }
}
