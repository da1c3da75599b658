package io.meshfed.xds.app;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One scrape of the Prometheus text format: every sample as {@code name{label="value",...}} (labels sorted, as
 * {@link #key} spells it) to its value. Comment lines are skipped; a sample line that does not parse fails the test.
 */
record Scrape(String text, Map<String, Double> samples) {

    static Scrape of(String text) {
        Map<String, Double> samples = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ', Math.max(0, line.lastIndexOf('}')));
            if (space < 0) {
                throw new AssertionError("not a sample line: " + line);
            }
            String name;
            String rest;
            List<String> labels = new ArrayList<>();
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                int close = line.lastIndexOf('}');
                rest = line.substring(close + 1);
                String inner = line.substring(brace + 1, close);
                int i = 0;
                while (i < inner.length()) {
                    int eq = inner.indexOf('=', i);
                    if (eq < 0) {
                        break;
                    }
                    String label = inner.substring(i, eq).replace(",", "").trim();
                    int start = eq + 2;
                    StringBuilder value = new StringBuilder();
                    int j = start;
                    for (; inner.charAt(j) != '"'; j++) {
                        if (inner.charAt(j) == '\\') {
                            j++;
                        }
                        value.append(inner.charAt(j));
                    }
                    labels.add(label + "=\"" + value + "\"");
                    i = j + 1;
                }
            } else {
                name = line.substring(0, line.indexOf(' '));
                rest = line.substring(line.indexOf(' '));
            }
            String[] valueAndTime = rest.trim().split(" ");
            samples.put(key(name, labels.toArray(String[]::new)), Double.parseDouble(valueAndTime[0]));
        }
        return new Scrape(text, samples);
    }

    /** {@code name{a="1",b="2"}} from {@code name} and {@code a="1"}-style labels in any order. */
    static String key(String name, String... labels) {
        if (labels.length == 0) {
            return name;
        }
        return name + "{" + String.join(",", new java.util.TreeSet<>(List.of(labels))) + "}";
    }

    /** The sample's value, 0 when the series does not exist (a counter not yet created). */
    double value(String name, String... labels) {
        return samples.getOrDefault(key(name, labels), 0.0);
    }

    boolean has(String name, String... labels) {
        return samples.containsKey(key(name, labels));
    }
}
