package io.meshfed.images;

import com.google.cloud.tools.jib.api.CacheDirectoryCreationException;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.ImageReference;
import com.google.cloud.tools.jib.api.InvalidImageReferenceException;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.RegistryException;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Port;
import io.meshfed.images.ImageSpec.Layer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;

/**
 * Builds every image of {@link ImageCatalog} and the Wasm filters' images with Jib into OCI layout tarballs under
 * {@code --out} ({@code <name>.tar}, listed in {@code images.properties}). A function's image is built twice: once
 * without its AOT cache, which is unpacked and run confined ({@link Training}) to train the cache with real
 * CloudEvents, then again with the cache as its top layer; every other layer is the same, so the cache was made from
 * exactly the image's JDK and jars.
 *
 * <p>{@code --catalog floor} builds only the cold-start floor's images ({@link ImageCatalog#floor}, for
 * {@link ColdStartBench}), the same way: never shipped, no Wasm images.
 *
 * <p>Base: the local base tarball of {@code images/base/build-base.sh} ({@code --base-properties}), or a registry
 * image ({@code --base-image}, whose {@code java} is {@code --base-java}). Files get Jib's fixed time (1970, + 1 s)
 * and root ownership, so unchanged inputs give unchanged layers.
 */
public final class ImageBuilder {
    static final Instant FILE_TIME = Instant.ofEpochSecond(1);
    private static final String LOCAL_JAVA = "/opt/java/bin/java";

    private final Path repo;
    private final Path out;
    private final String version;
    private final ImageReference base;
    private final Path baseTar;
    private final String baseDescription;
    private final String java;
    private final Path baseLayersCache;

    private ImageBuilder(Path repo, Path out, String version, String baseImage, Path baseTar, String java)
            throws InvalidImageReferenceException {
        this.repo = repo;
        this.out = out;
        this.version = version;
        this.java = java;
        this.baseDescription = baseImage.isEmpty() ? "tar://" + baseTar : baseImage;
        this.baseLayersCache = Path.of(System.getProperty("user.home"), ".cache/meshfed/images/jib-base-layers");
        this.base = baseImage.isEmpty() ? null : ImageReference.parse(baseImage);
        this.baseTar = baseTar;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        if (args.length % 2 != 0) {
            a.put(args[args.length - 1], "");
        }
        Path repo = Path.of(a.get("--repo")).toAbsolutePath().normalize();
        Path out = Path.of(a.get("--out")).toAbsolutePath();
        String baseImage = a.getOrDefault("--base-image", "").trim();
        Path baseTar = null;
        String java = LOCAL_JAVA;
        if (baseImage.isEmpty()) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(Path.of(a.get("--base-properties")))) {
                p.load(in);
            }
            baseTar = Path.of(p.getProperty("base.tar"));
        } else {
            java = a.getOrDefault("--base-java", LOCAL_JAVA);
        }
        Training.requireRoot();
        ImageBuilder builder = new ImageBuilder(repo, out, a.get("--version"), baseImage, baseTar, java);
        // --catalog floor: only the cold-start floor's images (ColdStartBench), none of the shipped ones.
        if (a.getOrDefault("--catalog", "shipped").equals("floor")) {
            builder.buildAll(ImageCatalog.floor(repo, java), Map.of());
        } else {
            builder.buildAll(ImageCatalog.all(repo, java, a.get("--version")), ImageCatalog.wasmFilters(repo));
        }
    }

    private void buildAll(List<ImageSpec> specs, Map<String, Path> wasmFilters) throws Exception {
        Files.createDirectories(out);
        Path stage = out.resolve(".stage");
        deleteTree(stage);
        Files.createDirectories(stage.resolve("empty"));
        Properties listing = new Properties();
        log("base " + baseDescription);
        for (ImageSpec spec : specs) {
            long start = System.nanoTime();
            for (Layer layer : spec.layers()) {
                if (!layer.source().toString().isEmpty() && !Files.isDirectory(layer.source())) {
                    throw new IllegalStateException(spec.name() + ": " + layer.source()
                            + " does not exist: build its module first (mvn -B package)");
                }
            }
            Path tarball = out.resolve(spec.name() + ".tar");
            if (spec.trained()) {
                Path untrained = stage.resolve(spec.name() + "-untrained.tar");
                build(spec, null, untrained, stage);
                ImageRoot root = ImageRoot.unpack(untrained, stage.resolve(spec.name()));
                Path cache = Training.train(spec, root, stage.resolve(spec.name() + "-training"));
                build(spec, cache, tarball, stage);
                deleteTree(stage.resolve(spec.name()));
                Files.delete(untrained);
            } else {
                build(spec, null, tarball, stage);
            }
            listing.setProperty(spec.name(), tarball.toString());
            log(String.format("%s: %s, %d MB, %.1f s", spec.name(), tarball, Files.size(tarball) >> 20,
                    (System.nanoTime() - start) / 1e9));
        }
        for (Map.Entry<String, Path> f : wasmFilters.entrySet()) {
            Path tarball = out.resolve("wasm-" + f.getKey() + ".tar");
            buildWasm(f.getKey(), f.getValue(), tarball);
            WasmImage.annotateCompat(tarball, stage.resolve("wasm-layout"));
            listing.setProperty("wasm-" + f.getKey(), tarball.toString());
            log("wasm-" + f.getKey() + ": " + tarball + ", " + Files.size(tarball) / 1024 + " KiB");
        }
        try (var w = Files.newBufferedWriter(out.resolve("images.properties"))) {
            listing.store(w, "meshfed images: name = OCI layout tarball");
        }
        deleteTree(stage);
    }

    private void build(ImageSpec spec, Path aotCache, Path tarball, Path stage) throws IOException,
            InterruptedException, RegistryException, CacheDirectoryCreationException, ExecutionException,
            InvalidImageReferenceException {
        JibContainerBuilder b = base == null ? Jib.from(TarImage.at(baseTar)) : Jib.from(RegistryImage.named(base));
        for (Layer layer : spec.layers()) {
            b.addFileEntriesLayer(layer(layer, stage));
        }
        if (aotCache != null) {
            b.addFileEntriesLayer(FileEntriesLayer.builder().setName("aot-cache")
                    .addEntry(aotCache, AbsoluteUnixPath.get(ImageSpec.AOT_CACHE),
                            FilePermissions.DEFAULT_FILE_PERMISSIONS, FILE_TIME)
                    .build());
        }
        b.setEntrypoint(spec.entrypoint())
                .setProgramArguments(List.of())
                .setEnvironment(spec.environment())
                .setUser(spec.user())
                .setWorkingDirectory(AbsoluteUnixPath.get("/app"))
                .setFormat(ImageFormat.OCI)
                .setCreationTime(Instant.EPOCH)
                .addLabel("org.opencontainers.image.title", "meshfed-" + spec.name())
                .addLabel("org.opencontainers.image.description", spec.description())
                .addLabel("org.opencontainers.image.version", version);
        for (String v : spec.volumes()) {
            b.addVolume(AbsoluteUnixPath.get(v));
        }
        for (int port : spec.ports()) {
            b.addExposedPort(Port.tcp(port));
        }
        b.containerize(containerizer(tarball, spec.name()));
    }

    private void buildWasm(String name, Path module, Path tarball) throws Exception {
        if (!Files.isRegularFile(module)) {
            throw new IllegalStateException(module + " does not exist: build wasm-filters first (mvn -B package)");
        }
        // Istio's WasmPlugin pulls an image whose one layer holds plugin.wasm (its "compat" image variant).
        Jib.fromScratch()
                .addFileEntriesLayer(FileEntriesLayer.builder().setName("plugin")
                        .addEntry(module, AbsoluteUnixPath.get("/plugin.wasm"),
                                FilePermissions.DEFAULT_FILE_PERMISSIONS, FILE_TIME)
                        .build())
                .setFormat(ImageFormat.OCI)
                .setCreationTime(Instant.EPOCH)
                .addLabel("org.opencontainers.image.title", "meshfed-" + name)
                .addLabel("org.opencontainers.image.version", version)
                .containerize(containerizer(tarball, "wasm-" + name));
    }

    private Containerizer containerizer(Path tarball, String name) throws InvalidImageReferenceException {
        return Containerizer.to(TarImage.at(tarball).named("meshfed/" + name + ":" + version))
                .setBaseImageLayersCache(baseLayersCache)
                .setApplicationLayersCache(out.resolve(".jib-cache"))
                .setToolName("meshfed-images")
                .addEventHandler(LogEvent.class, e -> {
                    if (e.getLevel() == LogEvent.Level.ERROR || e.getLevel() == LogEvent.Level.WARN) {
                        log(name + ": " + e.getMessage());
                    }
                });
    }

    /** The layer's files; a signed jar is replaced by an unsigned copy under {@code stage} ({@link SignedJars}). */
    private static FileEntriesLayer layer(Layer layer, Path stage) throws IOException {
        Path emptyDir = stage.resolve("empty");
        FileEntriesLayer.Builder b = FileEntriesLayer.builder().setName(layer.name());
        if (!layer.source().toString().isEmpty()) {
            List<Path> files = new ArrayList<>();
            try (Stream<Path> walk = Files.walk(layer.source())) {
                walk.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
            for (Path f : files) {
                String rel = layer.source().relativize(f).toString().replace('\\', '/');
                if (layer.include().test(rel)) {
                    Path source = f;
                    if (rel.endsWith(".jar") && SignedJars.isSigned(f)) {
                        source = stage.resolve("unsigned").resolve(f.getFileName());
                        if (!Files.exists(source)) {
                            SignedJars.unsign(f, source);
                        }
                    }
                    b.addEntry(source, AbsoluteUnixPath.get(layer.target()).resolve(rel),
                            FilePermissions.DEFAULT_FILE_PERMISSIONS, FILE_TIME);
                }
            }
        }
        for (String dir : layer.directories()) {
            if (!dir.equals("/tmp")) {
                b.addEntry(emptyDir, AbsoluteUnixPath.get(dir), FilePermissions.DEFAULT_FOLDER_PERMISSIONS, FILE_TIME);
            }
        }
        return b.build();
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted((x, y) -> y.compareTo(x)).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    static void log(String message) {
        System.out.println("meshfed images: " + message);
        System.out.flush();
    }
}
