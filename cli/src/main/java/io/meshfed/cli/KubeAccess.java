package io.meshfed.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the CLI reaches the management cluster (or, for {@code check workload}, a workload cluster), with kubectl's
 * precedence: {@code --kubeconfig FILE}, else the files of env {@code KUBECONFIG} (separated by {@code :}), else
 * {@code ~/.kube/config}, else the pod's in-cluster ServiceAccount. {@code --context} picks a context of that
 * kubeconfig instead of its current-context.
 *
 * @param kubeconfigs the kubeconfig files to read, in order (several only from env {@code KUBECONFIG}); empty means
 *        in-cluster credentials
 * @param origin      where {@code kubeconfigs} came from, for messages: {@code --kubeconfig}, {@code KUBECONFIG},
 *        {@code ~/.kube/config} or {@code in-cluster}
 * @param context     the context to use, or null for the kubeconfig's current-context
 * @param inClusterUrl the API server of the pod this runs in ({@code KUBERNETES_SERVICE_HOST}), when there is no
 *        kubeconfig
 */
record KubeAccess(List<Path> kubeconfigs, String origin, String context, Duration timeout, String inClusterUrl) {
    /** Where a pod's ServiceAccount credentials are mounted. */
    static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    KubeAccess {
        kubeconfigs = List.copyOf(kubeconfigs);
    }

    /**
     * Resolves the flags against the environment ({@code KUBECONFIG}, {@code HOME}); fails with exit 2 when a named
     * file does not exist or {@code --context} is given with nothing to pick it from.
     */
    static KubeAccess resolve(Path kubeconfigFlag, String context, Map<String, String> env, Duration timeout) {
        if (kubeconfigFlag != null) {
            if (!Files.isRegularFile(kubeconfigFlag)) {
                throw ClusterCommand.usage("--kubeconfig " + kubeconfigFlag + ": no such file");
            }
            return new KubeAccess(List.of(kubeconfigFlag), "--kubeconfig", context, timeout);
        }
        String fromEnv = env.get("KUBECONFIG");
        if (fromEnv != null && !fromEnv.isBlank()) {
            List<Path> files = new ArrayList<>();
            for (String part : fromEnv.split(File.pathSeparator)) {
                if (!part.isBlank() && Files.isRegularFile(Path.of(part.strip()))) {
                    files.add(Path.of(part.strip()));
                }
            }
            if (files.isEmpty()) {
                throw ClusterCommand.usage("KUBECONFIG=" + fromEnv + " names no existing file");
            }
            return new KubeAccess(files, "KUBECONFIG", context, timeout);
        }
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        Path standard = home == null ? null : Path.of(home, ".kube", "config");
        if (standard != null && Files.isRegularFile(standard)) {
            return new KubeAccess(List.of(standard), "~/.kube/config", context, timeout);
        }
        if (context != null) {
            throw ClusterCommand.usage("--context " + context + ": no kubeconfig to take it from (no --kubeconfig, "
                    + "no KUBECONFIG, no ~/.kube/config)");
        }
        String host = env.get("KUBERNETES_SERVICE_HOST");
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        return new KubeAccess(List.of(), "in-cluster", null, timeout,
                host == null || host.isBlank() ? null : "https://" + (host.contains(":") ? "[" + host + "]" : host)
                        + ":" + port);
    }

    KubeAccess(List<Path> kubeconfigs, String origin, String context, Duration timeout) {
        this(kubeconfigs, origin, context, timeout, null);
    }

    /** fabric8's configuration for this access: the first file that has the context (kubectl merges the same way). */
    Config config() {
        Config config;
        if (kubeconfigs.isEmpty()) {
            config = inCluster();
        } else {
            config = null;
            KubernetesClientException last = null;
            for (Path file : kubeconfigs) {
                try {
                    config = Config.fromKubeconfig(context, file.toFile());
                    break;
                } catch (KubernetesClientException | IllegalArgumentException e) {
                    last = e instanceof KubernetesClientException k ? k : new KubernetesClientException(e.getMessage(), e);
                }
            }
            if (config == null || config.getMasterUrl() == null
                    || context != null && (config.getCurrentContext() == null
                            || !context.equals(config.getCurrentContext().getName()))) {
                throw ClusterCommand.usage((context == null ? "no current-context" : "no context '" + context + "'")
                        + " in " + describe() + (last == null ? "" : ": " + last.getMessage()));
            }
        }
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        config.setConnectionTimeout(millis);
        config.setRequestTimeout(millis);
        return config;
    }

    /** The pod's ServiceAccount, read here rather than by fabric8, which would look for kubeconfigs first. */
    private Config inCluster() {
        Path token = SERVICE_ACCOUNT.resolve("token");
        if (inClusterUrl == null || !Files.isReadable(token)) {
            throw new CommandFailedException(ExitCodes.USAGE, "no cluster to talk to: give --kubeconfig FILE, set "
                    + "KUBECONFIG or create ~/.kube/config (this is not a pod with a ServiceAccount token)");
        }
        try {
            Config config = Config.empty();
            config.setMasterUrl(inClusterUrl);
            config.setOauthToken(Files.readString(token).strip());
            Path ca = SERVICE_ACCOUNT.resolve("ca.crt");
            if (Files.isReadable(ca)) {
                config.setCaCertFile(ca.toString());
            }
            return config;
        } catch (java.io.IOException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot read " + token + ": " + e.getMessage(), e);
        }
    }

    KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(config()).build();
    }

    /** For messages: {@code kubeconfig /home/x/.kube/config (KUBECONFIG), context prod}. */
    String describe() {
        if (kubeconfigs.isEmpty()) {
            return "in-cluster credentials";
        }
        return "kubeconfig " + String.join(File.pathSeparator, kubeconfigs.stream().map(Path::toString).toList())
                + " (" + origin + ")" + (context == null ? "" : ", context " + context);
    }
}
