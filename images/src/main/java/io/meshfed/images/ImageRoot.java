package io.meshfed.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.Set;

/**
 * An image unpacked from its OCI layout tarball, as a container runtime would lay it out: every layer extracted in
 * order into {@link #rootfs()} (numeric owners, modes and times kept), and the config's entrypoint, environment, user,
 * working directory, volumes and ports. Unpacking uses the host's GNU tar; nothing of a Docker engine.
 */
public record ImageRoot(Path rootfs, List<String> entrypoint, Map<String, String> environment, String user,
        String workingDir, Set<String> volumes, Set<String> ports, List<String> layerDigests,
        List<String> layerMediaTypes, JsonNode manifest) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Unpacks {@code tarball} (an OCI image layout in a tar) into {@code dir}, which must not exist yet. */
    public static ImageRoot unpack(Path tarball, Path dir) throws IOException, InterruptedException {
        Path layout = dir.resolve("layout");
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(layout);
        Files.createDirectories(rootfs);
        tar("-xf", tarball.toString(), "-C", layout.toString());
        JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
        JsonNode manifest = JSON.readTree(blob(layout, index.path("manifests").path(0).path("digest").asText()).toFile());
        JsonNode config = JSON.readTree(blob(layout, manifest.path("config").path("digest").asText()).toFile());
        List<String> digests = new ArrayList<>();
        List<String> mediaTypes = new ArrayList<>();
        for (JsonNode layer : manifest.path("layers")) {
            String digest = layer.path("digest").asText();
            digests.add(digest);
            mediaTypes.add(layer.path("mediaType").asText());
            if (layer.path("mediaType").asText().contains("tar")) {
                tar("--numeric-owner", "-xf", blob(layout, digest).toString(), "-C", rootfs.toString());
            }
        }
        JsonNode c = config.path("config");
        List<String> entrypoint = new ArrayList<>();
        c.path("Entrypoint").forEach(n -> entrypoint.add(n.asText()));
        c.path("Cmd").forEach(n -> entrypoint.add(n.asText()));
        Map<String, String> env = new LinkedHashMap<>();
        c.path("Env").forEach(n -> {
            String kv = n.asText();
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        });
        Set<String> volumes = new TreeSet<>();
        c.path("Volumes").fieldNames().forEachRemaining(volumes::add);
        Set<String> ports = new TreeSet<>();
        c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        return new ImageRoot(rootfs, List.copyOf(entrypoint), Map.copyOf(env), c.path("User").asText(""),
                c.path("WorkingDir").asText("/"), volumes, ports, List.copyOf(digests), List.copyOf(mediaTypes),
                manifest);
    }

    /** The layout's blob of {@code digest} ({@code sha256:...}), unpacked beside the rootfs. */
    public Path blob(String digest) {
        return blob(rootfs.resolveSibling("layout"), digest);
    }

    private static Path blob(Path layout, String digest) {
        int colon = digest.indexOf(':');
        return layout.resolve("blobs").resolve(digest.substring(0, colon)).resolve(digest.substring(colon + 1));
    }

    static void tar(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("tar"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
