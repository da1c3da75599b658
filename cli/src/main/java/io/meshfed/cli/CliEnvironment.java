package io.meshfed.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import java.util.function.Function;

/**
 * What a command needs from outside the process: where it reads ({@code -f -}) and prints, the environment variables it reads and how
 * it reaches the management cluster's Kubernetes API. Tests pass their own; {@link #system()} is the real one.
 *
 * @param kubernetes opens a client for the kubeconfig and context the command line resolved ({@link KubeAccess});
 *        the caller closes it
 */
public record CliEnvironment(InputStream in, PrintWriter out, PrintWriter err, Map<String, String> variables,
        Function<KubeAccess, KubernetesClient> kubernetes) {

    public static CliEnvironment system() {
        return new CliEnvironment(System.in, new PrintWriter(System.out, true), new PrintWriter(System.err, true),
                System.getenv(), KubeAccess::client);
    }
}
