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
 * [--extra "FLAGS env:NAME=VALUE"] [--skip-plain true]}; needs root (the runs are confined).
 */
public final class ColdStartBench {
    /** A configuration: the shipped entrypoint or plain {@code java -jar}, with {@code extra} flags after java. */
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
            List<String> cmd = new ArrayList<>(base.subList(0, 1));
            extra.stream().filter(x -> !x.startsWith("env:")).forEach(cmd::add);
            cmd.addAll(base.subList(1, base.size()));
            return cmd;
        }
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
        Map<FirstEvent, ImageRoot> roots = new LinkedHashMap<>();
        Map<FirstEvent, String> names = Map.of(FirstEvent.REGISTRATION, "registration", FirstEvent.EXPORT, "export",
                FirstEvent.PKI, "pki");
        for (FirstEvent e : FirstEvent.values()) {
            String name = names.get(e);
            roots.put(e, ImageRoot.unpack(Path.of(listing.getProperty(name)), work.resolve(name)));
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
        List<String> only = a.containsKey("--only") ? List.of(a.get("--only").split(",")) : null;
        Map<String, List<ColdStart.Result>> results = new LinkedHashMap<>();
        System.out.printf("cold start, %d rounds, %d cores, pod memory %s, load average %s; launch -> first answered "
                + "CloudEvent, RSS and CPU time then%n", rounds, Runtime.getRuntime().availableProcessors(), podMemory,
                loadAverage());
        for (int r = 0; r < rounds; r++) {
            for (FirstEvent e : FirstEvent.values()) {
                ImageRoot root = roots.get(e);
                if (only != null && !only.contains(names.get(e))) {
                    continue;
                }
                List<Config> order = new ArrayList<>(configs);
                if (r % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (Config c : order) {
                    List<String> command = c.command(root);
                    Path log = work.resolve(names.get(e) + "-" + configs.indexOf(c) + "-" + r + ".log");
                    ColdStart.Result res = ColdStart.once(root, command, merge(podEnv, c.environment()), e, log);
                    results.computeIfAbsent(names.get(e) + "|" + c.name(), k -> new ArrayList<>()).add(res);
                    System.out.printf("  round %d %-12s %-13s %6.0f ms %5.1f MB  CPU %5d ms%n", r + 1, names.get(e),
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
