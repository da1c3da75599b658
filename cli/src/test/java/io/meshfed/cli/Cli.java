package io.meshfed.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/** Runs the CLI in this JVM with captured output, as {@code bin/meshfed} would run it. */
final class Cli {
    /** What one run printed and returned. */
    record Run(int exitCode, String out, String err) {
    }

    private final Map<String, String> variables;
    private final Function<KubeAccess, KubernetesClient> kubernetes;

    Cli() {
        this(Map.of(), () -> {
            throw new AssertionError("this test does not expect a Kubernetes client");
        });
    }

    Cli(Map<String, String> variables, Supplier<KubernetesClient> kubernetes) {
        this.variables = variables;
        this.kubernetes = access -> kubernetes.get();
    }

    /**
     * Kubernetes clients as {@code bin/meshfed} makes them ({@code --kubeconfig}, {@code --context}, env
     * {@code KUBECONFIG} from {@code variables}); {@code HOME} is set to a directory without {@code .kube} unless
     * {@code variables} names one.
     */
    static Cli real(Map<String, String> variables) {
        Map<String, String> env = new java.util.HashMap<>(variables);
        env.putIfAbsent("HOME", "/nonexistent-meshfed-test-home");
        return new Cli(env, KubeAccess::client, true);
    }

    private Cli(Map<String, String> variables, Function<KubeAccess, KubernetesClient> kubernetes, boolean real) {
        this.variables = variables;
        this.kubernetes = kubernetes;
    }

    /** An environment that prints nowhere and has no Kubernetes, for building and parsing command lines. */
    static CliEnvironment quietEnvironment() {
        return new CliEnvironment(java.io.InputStream.nullInputStream(), new PrintWriter(java.io.Writer.nullWriter()),
                new PrintWriter(java.io.Writer.nullWriter()), Map.of(), access -> {
                    throw new AssertionError("parsing only");
                });
    }

    Run run(String... args) {
        return runWithInput("", args);
    }

    Run runWithInput(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnvironment environment = new CliEnvironment(
                new java.io.ByteArrayInputStream(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                new PrintWriter(out, true), new PrintWriter(err, true), variables,
                kubernetes);
        int code = MeshfedCommand.commandLine(environment).execute(args);
        return new Run(code, out.toString(), err.toString());
    }
}
