package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** Running helm (and kubectl) from the chart tests, with helm's own state in the test's directory. */
final class Helm {
    private Helm() {
    }

    record Run(int exit, String output) {
    }

    /** {@code program args}, output and errors together, within 120 s; helm's repositories and cache under {@code work}. */
    static Run run(Path work, Path program, List<String> args) throws IOException {
        return run(work, program, args, 120);
    }

    /** {@link #run(Path, Path, List)} within {@code seconds}. */
    static Run run(Path work, Path program, List<String> args, int seconds) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(program.toString());
        cmd.addAll(args);
        Path out = Files.createTempFile(work, "run-", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        // helm's own state (repositories, cache) in the test's directory, never the user's
        pb.environment().put("HELM_CACHE_HOME", work.resolve("helm-cache").toString());
        pb.environment().put("HELM_CONFIG_HOME", work.resolve("helm-config").toString());
        pb.environment().put("HELM_DATA_HOME", work.resolve("helm-data").toString());
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("did not finish within " + seconds + " s: " + cmd);
            }
            return new Run(p.exitValue(), Files.readString(out));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** {@code helm template meshfed <chart> args}: its documents (helm's {@code level=} warning lines left out); must succeed. */
    static List<Map<String, Object>> template(Path work, Path helm, Path chart, List<String> args) throws IOException {
        List<String> all = new ArrayList<>(List.of("template", "meshfed", chart.toString()));
        all.addAll(args);
        Run r = run(work, helm, all);
        assertEquals(0, r.exit(), r.output());
        return yaml(r.output().lines().filter(l -> !l.startsWith("level=")).collect(Collectors.joining("\n")));
    }

    /** Every non-empty YAML document of {@code text}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> yaml(String text) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : new Yaml(new LoaderOptions()).loadAll(text)) {
            if (o != null) {
                out.add((Map<String, Object>) o);
            }
        }
        return out;
    }
}
