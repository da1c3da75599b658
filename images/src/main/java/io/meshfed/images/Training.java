package io.meshfed.images;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The training run of a function's AOT cache, in the image itself: the image's entrypoint with
 * {@code -XX:AOTCacheOutput} in place of {@code -XX:AOTCache}, confined in the unpacked image, answering
 * {@link #EVENTS} of its {@link FirstEvent} against {@link ManagementApi}, then stopped with SIGTERM as Knative stops
 * a pod; the JVM writes the cache as it exits (JEP 514). Training from the image's own files is what makes the cache
 * valid there: the JDK refuses a cache made by another runtime or from other jars.
 */
public final class Training {
    /** Requests of the training run: enough for the request path's classes, profiles and C1 code to settle. */
    static final int EVENTS = 30;

    private Training() {
    }

    /** Trains {@code spec}'s cache in {@code root}; returns the cache file, written under {@code work}. */
    public static Path train(ImageSpec spec, ImageRoot root, Path work) throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path tmp = work.resolve("tmp");
        Files.createDirectories(tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path log = work.resolve("training.log");
        long start = System.nanoTime();
        try (ManagementApi api = new ManagementApi()) {
            int port = freePort();
            Map<String, String> env = new HashMap<>(api.environment());
            env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
            FirstEvent event = spec.trainedBy();
            CloudEventClient client = new CloudEventClient();
            try (Confined c = Confined.start(root, spec.trainingEntrypoint("/tmp/app.aot"), env,
                    Map.of("/tmp", tmp), log)) {
                URI uri = URI.create("http://127.0.0.1:" + port + "/");
                for (int i = 0; i < EVENTS; i++) {
                    CloudEventClient.Reply reply = client.sendWhenListening(uri, event.type, event.subject, event.data,
                            c.process(), System.nanoTime() + 60_000_000_000L);
                    if (!event.answeredBy(reply, i == 0)) {
                        throw new IOException(spec.name() + ": training event answered " + reply.status() + " "
                                + reply.type().orElse("(no event)") + " " + reply.body() + ", not "
                                + event.replyType + "\n" + tail(log));
                    }
                }
                int exit = c.stop(300);
                Path cache = tmp.resolve("app.aot");
                if (!Files.isRegularFile(cache)) {
                    throw new IOException(spec.name() + ": the training run (exit " + exit + ") wrote no AOT cache\n"
                            + tail(log));
                }
                ImageBuilder.log(String.format("%s: AOT cache trained with %d events in %.1f s, %d MB", spec.name(),
                        EVENTS, (System.nanoTime() - start) / 1e9, Files.size(cache) >> 20));
                return cache;
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /** Confinement mounts and chroots: only root may. */
    static void requireRoot() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", "-u").start();
        String uid = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        if (!uid.equals("0")) {
            throw new IllegalStateException("building the images runs them confined (unshare, mount, chroot): run as "
                    + "root, or skip them with -Dimages.skip");
        }
    }
}
