package io.meshfed.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.function.Supplier;

/** Runs the CLI in this JVM with captured output, as {@code bin/meshfed} would run it. */
final class Cli {
    /** What one run printed and returned. */
    record Run(int exitCode, String out, String err) {
    }

    private final Map<String, String> variables;
    private final Supplier<KubernetesClient> kubernetes;

    Cli() {
        this(Map.of(), () -> {
            throw new AssertionError("this test does not expect a Kubernetes client");
        });
    }

    Cli(Map<String, String> variables, Supplier<KubernetesClient> kubernetes) {
        this.variables = variables;
        this.kubernetes = kubernetes;
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
