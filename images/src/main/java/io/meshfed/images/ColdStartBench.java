package io.meshfed.images;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Cold start of each function in its image, plain JVM against the shipped configuration, interleaved: every round
 * starts each function once per configuration (the order of the two alternating from round to round), each start
 * from a fresh management cluster, and prints the time from launch to the first answered CloudEvent and the RSS then,
 * as median and range over the rounds. Plain: {@code java -jar /app/quarkus-run.jar} from the same image (its JDK 25,
 * no flags, no AOT cache); shipped: the image's entrypoint. Both as in a pod with {@code --pod-memory} (default
 * 256m). Targets (issue 16): 300 ms, 96 MB.
 *
 * <p>{@code ColdStartBench --images images/target/images [--rounds 5] [--pod-memory 256m|none] [--only export,pki]
 * [--extra "FLAGS env:NAME=VALUE"] [--skip-plain true] [--floor images/target/floor-images]}; needs root (the runs
 * are confined). {@code --floor}: also the floor's images (Quarkus and Funqy alone, and with the Kubernetes client:
 * {@link ImageCatalog#floor}), in the same rounds.
 */
public final class ColdStartBench {
    /**
     * A configuration: the shipped entrypoint or plain {@code java -jar}, with {@code extra} flags after the
     * entrypoint's (so an extra flag overrides a shipped one).
     */
    record Config(String name, boolean shipped, List<String> extra) {
        /** Entries of {@code extra} written {@code env:NAME=VALUE} are environment variables, not flags. */
        Map<String, String> environment() {
            Map<String, String> env = new LinkedHashMap<>();
            extra.stream().filter(x -> x.startsWith("env:")).map(x -> x.substring(4).split("=", 2))
                    .forEach(kv -> env.put(kv[0], kv[1]));
            return env;
        }

        List<String> command(ImageRoot root) {
            List<String> base = shipped ? root.entrypoint()
                    : List.of(root.entrypoint().get(0), "-jar", "/app/quarkus-run.jar");
            // After the entrypoint's flags, before -jar: where a flag is given twice the JVM takes the last.
            int jar = base.indexOf("-jar");
            List<String> cmd = new ArrayList<>(base.subList(0, jar));
            extra.stream().filter(x -> !x.startsWith("env:")).forEach(cmd::add);
            cmd.addAll(base.subList(jar, base.size()));
            return cmd;
        }
    }

    /** What is started: an image (its OCI tarball) and the CloudEvent it answers first. */
    record Subject(String name, FirstEvent event, Path tarball) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        Path images = Path.of(a.get("--images")).toAbsolutePath();
        int rounds = Integer.parseInt(a.getOrDefault("--rounds", "5"));
        // The pod's memory limit, which sizes the JVM's heap (its initial heap is 1/64 of it): given as -XX:MaxRAM,
        // since the runs get no cgroup of their own. "none": the machine's memory (24 GiB here) sizes it.
        String podMemory = a.getOrDefault("--pod-memory", "256m");
        Map<String, String> podEnv = podMemory.equals("none") ? Map.of()
                : Map.of("JDK_JAVA_OPTIONS", "-XX:MaxRAM=" + podMemory);
        Training.requireRoot();
        Properties listing = new Properties();
        try (InputStream in = Files.newInputStream(images.resolve("images.properties"))) {
            listing.load(in);
        }
        Path work = images.resolveSibling("cold-start-bench");
        ImageBuilder.deleteTree(work);
        Files.createDirectories(work);
        List<Subject> subjects = new ArrayList<>();
        for (Map.Entry<String, FirstEvent> f : Map.of("registration", FirstEvent.REGISTRATION, "export",
                FirstEvent.EXPORT, "pki", FirstEvent.PKI).entrySet()) {
            subjects.add(new Subject(f.getKey(), f.getValue(), Path.of(listing.getProperty(f.getKey()))));
        }
        // --floor DIR: the floor's images (ImageBuilder --catalog floor), measured in the same rounds.
        if (a.containsKey("--floor")) {
            Properties floor = new Properties();
            try (InputStream in = Files.newInputStream(Path.of(a.get("--floor")).resolve("images.properties"))) {
                floor.load(in);
            }
            subjects.add(new Subject("floor", FirstEvent.FLOOR, Path.of(floor.getProperty("floor"))));
            subjects.add(new Subject("floor-kubernetes", FirstEvent.FLOOR_KUBERNETES,
                    Path.of(floor.getProperty("floor-kubernetes"))));
        }
        subjects.sort(java.util.Comparator.comparing(Subject::event));
        List<String> only = a.containsKey("--only") ? List.of(a.get("--only").split(",")) : null;
        if (only != null) {
            subjects.removeIf(x -> !only.contains(x.name()));
        }
        Map<String, ImageRoot> roots = new LinkedHashMap<>();
        for (Subject x : subjects) {
            roots.put(x.name(), ImageRoot.unpack(x.tarball(), work.resolve(x.name())));
        }
        List<Config> configs = new ArrayList<>(List.of(new Config("plain JVM", false, List.of()),
                new Config("shipped image", true, List.of())));
        // --extra "FLAGS": a third configuration, the shipped one with FLAGS added (to try a flag before shipping it).
        if (a.containsKey("--extra")) {
            configs.add(new Config("shipped + " + a.get("--extra"), true, List.of(a.get("--extra").trim().split("\\s+"))));
        }
        if (a.containsKey("--skip-plain")) {
            configs.remove(0);
        }
        Map<String, List<ColdStart.Result>> results = new LinkedHashMap<>();
        System.out.printf("cold start, %d rounds, %d cores, pod memory %s, load average %s; launch -> first answered "
                + "CloudEvent, RSS and CPU time then%n", rounds, Runtime.getRuntime().availableProcessors(), podMemory,
                loadAverage());
        for (int r = 0; r < rounds; r++) {
            for (Subject x : subjects) {
                ImageRoot root = roots.get(x.name());
                List<Config> order = new ArrayList<>(configs);
                if (r % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (Config c : order) {
                    List<String> command = c.command(root);
                    Path log = work.resolve(x.name() + "-" + configs.indexOf(c) + "-" + r + ".log");
                    ColdStart.Result res = ColdStart.once(root, command, merge(podEnv, c.environment()), x.event(),
                            log);
                    results.computeIfAbsent(x.name() + "|" + c.name(), k -> new ArrayList<>()).add(res);
                    System.out.printf("  round %d %-16s %-13s %6.0f ms %5.1f MB  CPU %5d ms%n", r + 1, x.name(),
                            c.name(), res.firstEventMillis(), res.rssKiB() / 1024.0, res.cpuMillis());
                }
            }
        }
        System.out.println();
        System.out.println("| function | configuration | first event, ms: median (range) | RSS, MB: median (range) "
                + "| CPU to first event, ms: median (range) |");
        System.out.println("|---|---|---|---|---|");
        for (Map.Entry<String, List<ColdStart.Result>> e : results.entrySet()) {
            String[] k = e.getKey().split("\\|");
            double[] ms = e.getValue().stream().mapToDouble(ColdStart.Result::firstEventMillis).sorted().toArray();
            double[] mb = e.getValue().stream().mapToDouble(x -> x.rssKiB() / 1024.0).sorted().toArray();
            double[] cpu = e.getValue().stream().mapToDouble(ColdStart.Result::cpuMillis).sorted().toArray();
            System.out.printf("| %s | %s | %.0f (%.0f-%.0f) | %.1f (%.1f-%.1f) | %.0f (%.0f-%.0f) |%n", k[0], k[1],
                    median(ms), ms[0], ms[ms.length - 1], median(mb), mb[0], mb[mb.length - 1], median(cpu), cpu[0],
                    cpu[cpu.length - 1]);
        }
        System.out.println("load average at the end: " + loadAverage() + "; each run's output: " + work);
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    static String loadAverage() throws java.io.IOException {
        return String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
