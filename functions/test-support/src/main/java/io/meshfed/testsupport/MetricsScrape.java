package io.meshfed.testsupport;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of a component's {@code GET /metrics}, as Prometheus takes it: the text exposition format read into
 * series (name plus labels) and values. A series is found by its name and a subset of its labels.
 */
public final class MetricsScrape {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** A sample's name and labels, and its value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final java.util.List<Sample> samples;
    private final String text;

    private MetricsScrape(String text) {
        this.text = text;
        java.util.List<Sample> read = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.find()) {
                throw new IllegalArgumentException("not a sample line of the text format: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            read.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        this.samples = java.util.List.copyOf(read);
    }

    /** {@code GET base/metrics}; fails unless it answers 200 in the Prometheus text format. */
    public static MetricsScrape of(URI base) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(base.resolve("/metrics"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET /metrics answered " + response.statusCode() + ": " + response.body());
        }
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (!type.startsWith("text/plain") && !type.startsWith("application/openmetrics-text")) {
            throw new IllegalStateException("GET /metrics answered Content-Type " + type);
        }
        return new MetricsScrape(response.body());
    }

    /** The value of the one series named {@code name} whose labels include {@code labels}; 0 when there is none. */
    public double value(String name, Map<String, String> labels) {
        java.util.List<Sample> found = samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).toList();
        if (found.size() > 1) {
            throw new IllegalArgumentException(found.size() + " series match " + name + labels + ": " + found);
        }
        return found.isEmpty() ? 0 : found.get(0).value();
    }

    /** Whether a series named {@code name} with these labels (and maybe more) is exported. */
    public boolean has(String name, Map<String, String> labels) {
        return samples.stream().anyMatch(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet()));
    }

    /** The {@code # TYPE} the scrape declares for {@code name}, or null. */
    public String type(String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE " + name + " ")) {
                return line.substring(("# TYPE " + name + " ").length()).trim();
            }
        }
        return null;
    }

    public java.util.List<Sample> samples() {
        return samples;
    }

    @Override
    public String toString() {
        return text;
    }
}
