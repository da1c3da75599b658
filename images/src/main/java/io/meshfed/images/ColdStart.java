package io.meshfed.images;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One cold start of a function from its unpacked image: a fresh management cluster, the process started confined,
 * its first CloudEvent sent the moment its port accepts, and the time from starting the process to the reply, with the
 * process's resident set size read right then. The clock starts before {@code unshare}, so the namespace and mount
 * set-up (a few milliseconds) counts against the function.
 */
public final class ColdStart {
    /**
     * Launch to the first answered event, and the JVM's RSS and CPU time (all threads, 10 ms ticks) at that moment.
     * CPU time is what a busy machine does not inflate.
     */
    public record Result(double firstEventMillis, long rssKiB, long cpuMillis) {
    }

    private ColdStart() {
    }

    /**
     * Runs {@code command} (the image's entrypoint, or another command from its files) once and stops it.
     * {@code environment} is added to what the run needs (the management cluster, the HTTP port).
     */
    public static Result once(ImageRoot image, List<String> command, Map<String, String> environment,
            FirstEvent event, Path log) throws IOException, InterruptedException {
        try (ManagementApi api = new ManagementApi()) {
            int port = Training.freePort();
            Map<String, String> env = new HashMap<>(api.environment());
            env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
            env.putAll(environment);
            CloudEventClient client = new CloudEventClient();
            URI uri = URI.create("http://127.0.0.1:" + port + "/");
            long start = System.nanoTime();
            try (Confined c = Confined.start(image, command, env, Map.of(), log)) {
                CloudEventClient.Reply reply = client.sendWhenListening(uri, event.type, event.subject, event.data,
                        c.process(), start + 60_000_000_000L);
                long answered = System.nanoTime();
                long rss = c.rssKiB().orElse(-1L);
                long cpu = c.cpuMillis().orElse(-1L);
                if (System.getenv("MESHFED_BENCH_SMAPS") != null) {
                    c.rssByMapping().forEach((k, v) -> {
                        if (v > 1024) {
                            System.out.printf("    %6d KiB %s%n", v, k);
                        }
                    });
                }
                if (!event.answeredBy(reply, true)) {
                    throw new IOException("answered " + reply.status() + " " + reply.type().orElse("(no event)") + " "
                            + reply.body() + ", not " + event.replyType + "\n" + Training.tail(log));
                }
                c.stop(30);
                return new Result((answered - start) / 1e6, rss, cpu);
            }
        }
    }
}
