package io.meshfed.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The broker's routing table, read from the Knative Trigger manifests ({@code knative/manifests/eventing/triggers}):
 * for each CloudEvents type, the Knative Services subscribed to it. The same files deploy meshfed on Knative, so
 * local mode routes exactly as the cluster does; there is no second table to keep in step.
 *
 * <p>Only what local mode can honour is accepted: a filter on {@code type} alone, and a subscriber that is a
 * Knative Service (by {@code ref}, or by a {@code uri} of the form {@code http://<service>.<namespace>.svc...}).
 * Anything else is an error naming the file. Immutable.
 */
public final class TriggerTable {
    /** One Trigger: its name, the type it filters on, the subscribed service. */
    public record Route(String trigger, String type, String service) {
    }

    private final Map<String, List<Route>> byType;

    private TriggerTable(Map<String, List<Route>> byType) {
        this.byType = byType;
    }

    public static TriggerTable load(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new ExampleException("Trigger directory " + directory + " does not exist: run from the meshfed "
                    + "checkout or pass --triggers <dir> (knative/manifests/eventing/triggers)");
        }
        Map<String, List<Route>> byType = new TreeMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                Route route = parse(file);
                byType.computeIfAbsent(route.type(), t -> new ArrayList<>()).add(route);
            }
        } catch (IOException e) {
            throw new ExampleException("cannot read Triggers in " + directory + ": " + e.getMessage());
        }
        if (byType.isEmpty()) {
            throw new ExampleException(directory + " holds no Trigger YAML");
        }
        byType.replaceAll((t, routes) -> List.copyOf(routes));
        return new TriggerTable(Collections.unmodifiableMap(byType));
    }

    static Route parse(Path file) {
        JsonNode trigger;
        try {
            trigger = Serialization.yamlMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ExampleException(file + " is not YAML: " + e.getMessage());
        }
        if (trigger == null || !"Trigger".equals(trigger.path("kind").asText())) {
            throw new ExampleException(file + " is not a Knative Trigger (kind: Trigger)");
        }
        String name = trigger.path("metadata").path("name").asText(file.getFileName().toString());
        JsonNode attributes = trigger.path("spec").path("filter").path("attributes");
        if (!attributes.isObject() || attributes.size() != 1 || !attributes.hasNonNull("type")) {
            throw new ExampleException(file + ": local mode routes on spec.filter.attributes.type alone; found "
                    + attributes);
        }
        JsonNode subscriber = trigger.path("spec").path("subscriber");
        String service;
        if (subscriber.has("ref")) {
            JsonNode ref = subscriber.get("ref");
            if (!"Service".equals(ref.path("kind").asText()) || !ref.hasNonNull("name")) {
                throw new ExampleException(file + ": subscriber.ref must name a Knative Service");
            }
            service = ref.get("name").asText();
        } else if (subscriber.hasNonNull("uri")) {
            String host = URI.create(subscriber.get("uri").asText()).getHost();
            if (host == null || !host.contains(".svc")) {
                throw new ExampleException(file + ": subscriber.uri must address a cluster Service "
                        + "(http://<service>.<namespace>.svc...), got " + subscriber.get("uri").asText());
            }
            service = host.substring(0, host.indexOf('.'));
        } else {
            throw new ExampleException(file + ": spec.subscriber needs a ref or a uri");
        }
        return new Route(name, attributes.get("type").asText(), service);
    }

    /** The routes for a type, in Trigger file order; empty when no Trigger matches (the broker drops the event). */
    public List<Route> routes(String type) {
        return byType.getOrDefault(type, List.of());
    }

    public Set<String> services() {
        Set<String> all = new java.util.TreeSet<>();
        byType.values().forEach(rs -> rs.forEach(r -> all.add(r.service())));
        return all;
    }

    public int size() {
        return byType.values().stream().mapToInt(List::size).sum();
    }
}
