package io.meshfed.images;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What one image is made of and how it runs: the files it carries (each {@link Layer} a directory copied under a path
 * of the image, in the order given), its entrypoint, environment, the writable paths it declares as volumes, the
 * ports it listens on, and whether the build trains an AOT cache for it ({@link #trainedBy()} names the
 * {@link FirstEvent} of its training run). Checked when built: an image has an entrypoint and runs as a non-root
 * user; a JVM image's entrypoint is its {@code java} command.
 */
public record ImageSpec(String name, String description, List<Layer> layers, List<String> entrypoint,
        Map<String, String> environment, Set<String> volumes, Set<Integer> ports, String user,
        FirstEvent trainedBy) {

    /** The path of the AOT cache in every trained image; the entrypoint names it. */
    public static final String AOT_CACHE = "/app/app.aot";

    /**
     * The files of a build directory copied to {@code target} in the image, as one layer: those whose path relative
     * to {@code source} (with {@code /} separators) {@code include} accepts. An empty directory is made for each
     * of {@code directories} (absolute paths in the image), e.g. the mount points of volumes.
     */
    public record Layer(String name, Path source, String target, Predicate<String> include, List<String> directories) {
        public Layer {
            Objects.requireNonNull(source, "source");
            directories = List.copyOf(directories);
            if (!target.startsWith("/")) {
                throw new IllegalArgumentException("layer " + name + ": target must be absolute: " + target);
            }
        }

        public static Layer of(String name, Path source, String target, Predicate<String> include) {
            return new Layer(name, source, target, include, List.of());
        }

        public static Layer directories(String name, List<String> directories) {
            return new Layer(name, Path.of(""), "/", p -> false, directories);
        }
    }

    public ImageSpec {
        layers = List.copyOf(layers);
        entrypoint = List.copyOf(entrypoint);
        environment = Map.copyOf(environment);
        volumes = Set.copyOf(volumes);
        ports = Set.copyOf(ports);
        if (entrypoint.isEmpty()) {
            throw new IllegalArgumentException(name + ": no entrypoint");
        }
        if (user.isEmpty() || user.equals("0") || user.startsWith("0:") || user.startsWith("root")) {
            throw new IllegalArgumentException(name + ": images run as a non-root user, not '" + user + "'");
        }
        for (String v : volumes) {
            if (!v.startsWith("/")) {
                throw new IllegalArgumentException(name + ": volume must be absolute: " + v);
            }
        }
        if (trainedBy != null && !entrypoint.contains("-XX:AOTCache=" + AOT_CACHE)) {
            throw new IllegalArgumentException(name + ": a trained image's entrypoint must use " + AOT_CACHE);
        }
    }

    public boolean trained() {
        return trainedBy != null;
    }

    /** The entrypoint of the training run: the shipped one, writing the cache to {@code output} instead. */
    public List<String> trainingEntrypoint(String output) {
        return entrypoint.stream()
                .map(a -> a.equals("-XX:AOTCache=" + AOT_CACHE) ? "-XX:AOTCacheOutput=" + output : a)
                .toList();
    }
}
