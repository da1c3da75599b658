package io.meshfed.images;

import io.meshfed.images.ImageSpec.Layer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every image meshfed ships, read from the modules' build output under the repository root. A Quarkus part is its
 * {@code target/quarkus-app} ({@code aot-jar} packaging: every jar on the application class path, which the JDK's AOT
 * cache needs) in three layers by how often they change: third-party jars, meshfed's own jars, then the application.
 */
public final class ImageCatalog {
    /** The user every image runs as (distroless's {@code nonroot}); the base has it in /etc/passwd. */
    public static final String USER = "65532:65532";

    /**
     * The shipped JVM flags of a function, where cold start is every scale-from-zero request: the AOT cache (classes
     * loaded and linked, method profiles from the training run; JDK 25 caches no compiled code), C1 only, compiling
     * at 20 times the usual invocation counts (fewer of the start-up methods, most of which run a few times: less code
     * cache and compiler memory at the first answer; a warm instance's methods are compiled later), the serial
     * collector.
     */
    public static final List<String> FUNCTION_FLAGS = List.of("-XX:AOTCache=" + ImageSpec.AOT_CACHE,
            "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=20", "-XX:+UseSerialGC",
            "-XX:MaxRAMPercentage=70", "-Xss512k");
    /** Long-running parts: the JDK's defaults for a container, heap bounded by the container's memory. */
    public static final List<String> SERVER_FLAGS = List.of("-XX:MaxRAMPercentage=70");

    private ImageCatalog() {
    }

    /** The images of version {@code version} of the repository at {@code repo}, each entrypoint starting with {@code java}. */
    public static List<ImageSpec> all(Path repo, String java, String version) {
        List<ImageSpec> specs = new ArrayList<>();
        specs.add(function("registration", "cluster registration function", repo.resolve("functions/registration"),
                java, FirstEvent.REGISTRATION));
        specs.add(function("export", "service export function", repo.resolve("functions/export"), java,
                FirstEvent.EXPORT));
        specs.add(function("pki", "PKI signing function", repo.resolve("pki-function/function"), java,
                FirstEvent.PKI));
        specs.add(quarkus("xds-bridge", "xDS bridge", repo.resolve("xds-bridge/app"), java, SERVER_FLAGS,
                Set.of("/tmp"), Set.of(8080, 15010), null));
        // The agent writes cacerts to a directory in local mode's file output (meshfed.agent.directory); with the
        // default Kubernetes output it writes nothing to disk but Vert.x's and Conscrypt's temporary files. It serves
        // GET /metrics and its health on 8080.
        specs.add(quarkus("csr-agent", "CSR agent", repo.resolve("pki-function/agent"), java, SERVER_FLAGS,
                Set.of("/tmp", "/var/run/meshfed/cacerts"), Set.of(8080), null));
        // The entry workload clusters' ApiServerSources post to: an HTTP route, not a Funqy function, so no first
        // CloudEvent to train an AOT cache with; it runs with the long-running parts' flags.
        specs.add(quarkus("workload-events", "workload-events entry", repo.resolve("functions/workload-events"), java,
                SERVER_FLAGS, Set.of("/tmp"), Set.of(8080), null));
        specs.add(relay(repo, java, version));
        specs.add(local(repo, java, version));
        return specs;
    }

    /**
     * The cold-start floor, never shipped: minimal Funqy apps (images/floor/, built with {@code -Pbench}) imaged and
     * trained exactly as the functions are, so {@link ColdStartBench} measures what Quarkus, Funqy and the Kubernetes
     * client cost before any of meshfed's code.
     */
    public static List<ImageSpec> floor(Path repo, String java) {
        return List.of(
                function("floor", "cold-start floor: Quarkus and Funqy alone", repo.resolve("images/floor/funqy"),
                        java, FirstEvent.FLOOR),
                function("floor-kubernetes", "cold-start floor: Quarkus, Funqy and the Kubernetes client",
                        repo.resolve("images/floor/kubernetes"), java, FirstEvent.FLOOR_KUBERNETES));
    }

    private static ImageSpec function(String name, String description, Path module, String java, FirstEvent event) {
        return quarkus(name, description, module, java, FUNCTION_FLAGS, Set.of("/tmp"), Set.of(8080), event);
    }

    private static ImageSpec quarkus(String name, String description, Path module, String java, List<String> flags,
            Set<String> volumes, Set<Integer> ports, FirstEvent trainedBy) {
        Path app = module.resolve("target/quarkus-app");
        List<String> entrypoint = new ArrayList<>(List.of(java));
        entrypoint.addAll(flags);
        entrypoint.addAll(List.of("-jar", "/app/quarkus-run.jar"));
        return new ImageSpec(name, "meshfed " + description, List.of(
                Layer.of("dependencies", app, "/app", p -> p.startsWith("lib/") && !ownJar(p)),
                Layer.of("meshfed-dependencies", app, "/app", ImageCatalog::ownJar),
                Layer.of("application", app, "/app", p -> !p.startsWith("lib/")),
                Layer.directories("volumes", List.copyOf(volumes))),
                entrypoint, Map.of(), volumes, ports, USER, trainedBy);
    }

    private static boolean ownJar(String path) {
        return path.startsWith("lib/main/io.meshfed.");
    }

    /** Local mode: its jar and class path, the examples, and the Trigger files its in-process broker routes by. */
    private static ImageSpec local(Path repo, String java, String version) {
        String jar = "meshfed-local-" + version + ".jar";
        Path target = repo.resolve("local/target");
        Set<String> volumes = Set.of("/tmp", "/var/lib/meshfed");
        List<String> entrypoint = new ArrayList<>(List.of(java));
        entrypoint.addAll(SERVER_FLAGS);
        entrypoint.addAll(List.of("-jar", "/app/" + jar, "--state-dir", "/var/lib/meshfed/state"));
        return new ImageSpec("local", "meshfed local mode: the whole plane in one process", List.of(
                Layer.of("dependencies", target.resolve("lib"), "/app/lib", p -> !p.startsWith("meshfed-")),
                Layer.of("meshfed-dependencies", target.resolve("lib"), "/app/lib", p -> p.startsWith("meshfed-")),
                Layer.of("examples", repo.resolve("examples"), "/app/examples", p -> true),
                Layer.of("triggers", repo.resolve("knative/manifests/eventing/triggers"),
                        "/app/knative/manifests/eventing/triggers", p -> p.endsWith(".yaml")),
                new Layer("application", target, "/app", p -> p.equals(jar),
                        List.of()),
                Layer.directories("volumes", List.copyOf(volumes))),
                entrypoint, Map.of(), volumes, Set.of(8080, 15010), USER, null);
    }

    /**
     * The xDS relay, istiod's sidecar container: its jar and class path ({@code Class-Path: lib/...}); configured by
     * the environment (docs/xds-bridge.md), its certificate files mounted from a Secret. Writes nothing.
     */
    private static ImageSpec relay(Path repo, String java, String version) {
        String jar = "meshfed-xds-relay-" + version + ".jar";
        Path target = repo.resolve("xds-bridge/relay/target");
        List<String> entrypoint = new ArrayList<>(List.of(java));
        entrypoint.addAll(SERVER_FLAGS);
        entrypoint.addAll(List.of("-jar", "/app/" + jar));
        return new ImageSpec("xds-relay", "meshfed xDS relay (istiod's sidecar to the bridge)", List.of(
                Layer.of("dependencies", target.resolve("lib"), "/app/lib", p -> !p.startsWith("meshfed-")),
                Layer.of("meshfed-dependencies", target.resolve("lib"), "/app/lib", p -> p.startsWith("meshfed-")),
                new Layer("application", target, "/app", p -> p.equals(jar), List.of()),
                Layer.directories("volumes", List.of("/tmp"))),
                entrypoint, Map.of(), Set.of("/tmp"), Set.of(RELAY_PORT, RELAY_METRICS_PORT), USER, null);
    }

    /** The relay's default listening port (loopback, plaintext h2c for the istiod beside it). */
    static final int RELAY_PORT = 15011;
    /** The relay's default metrics and health port (the pod's address, plain HTTP, GET only). */
    static final int RELAY_METRICS_PORT = 15015;

    /** The Wasm filters shipped as OCI images for Istio's WasmPlugin: name to module. */
    public static Map<String, Path> wasmFilters(Path repo) {
        Path wasm = repo.resolve("wasm-filters/filters/target/classes/wasm");
        return Map.of(
                "failover-headers", wasm.resolve("failover-headers.wasm"),
                "retry-budget", wasm.resolve("retry-budget.wasm"),
                "telemetry-tags", wasm.resolve("telemetry-tags.wasm"));
    }
}
