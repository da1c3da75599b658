package io.meshfed.cli;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code meshfed}: the root command and the options every subcommand inherits. Subcommands read them through
 * {@link #of(CommandLine.Model.CommandSpec)}.
 */
@Command(name = "meshfed", mixinStandardHelpOptions = true, versionProvider = MeshfedCommand.Version.class,
        description = "Operate a meshfed management plane: register clusters, sync exports, show config and PKI state, "
                + "rotate the root, check clusters before and after installing.",
        subcommands = {ClusterCommand.class, ExportCommand.class, ConfigCommand.class, PkiCommand.class,
            PolicyCommand.class, CheckCommand.class, EventCommand.class, CompletionCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done (a reply, 202 accepted, 204 no change, state read)",
            "1:the function answered no (a rejection or failure event, a status --wait saw), a check FAILed, "
                    + "a pki step was refused",
            "2:bad command line or input file; nothing was sent",
            "3:the receiver refused the request (HTTP 4xx)",
            "4:the receiver failed (HTTP 5xx) or answered something unreadable",
            "5:nothing answered (connection refused, timeout), state unreadable, no status within --wait-timeout",
            "6:not found (no bridge client of that cluster, no CA state, no MeshCluster to wait on)"},
        footerHeading = "%nExamples:%n",
        footer = {"  bin/meshfed cluster list --state-dir .meshfed/state/two-clusters",
            "  bin/meshfed cluster register -f examples/cli/register-east.yaml --wait",
            "  bin/meshfed check management --context mgmt",
            "  bin/meshfed <command> --help    # every command's help ends with examples"})
public final class MeshfedCommand {
    /** {@code source} of every event the CLI sends. */
    public static final URI SOURCE = URI.create("meshfed/cli");
    static final String DEFAULT_BROKER = "http://localhost:8080/";

    @Option(names = "--broker", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "Where events are sent: a Knative Broker's URL, a function's URL or the local mode's "
                    + "endpoint (env MESHFED_BROKER, default " + DEFAULT_BROKER + ").")
    URI broker;

    @Option(names = "--bridge", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "The xDS bridge's HTTP address for its debug endpoint (env MESHFED_BRIDGE, default: "
                    + "the broker URL's scheme, host and port).")
    URI bridge;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
            description = "table (default), yaml or json.")
    Output.Format format = Output.Format.table;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "SECONDS",
            description = "How long to wait for an answer (default 30).")
    long timeoutSeconds = 30;

    @Option(names = "--state-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Read state from a local-mode state directory instead of the management cluster "
                    + "(cluster list, pki status; env MESHFED_STATE_DIR).")
    Path stateDir;

    @Option(names = {"-n", "--namespace"}, scope = ScopeType.INHERIT, paramLabel = "NS",
            description = "meshfed's namespace in the management cluster (default meshfed).")
    String namespace = "meshfed";

    @Option(names = "--kubeconfig", scope = ScopeType.INHERIT, paramLabel = "FILE",
            description = "Kubeconfig of the management cluster (default: env KUBECONFIG, else ~/.kube/config, "
                    + "else in-cluster credentials; as kubectl).")
    Path kubeconfig;

    @Option(names = "--context", scope = ScopeType.INHERIT, paramLabel = "NAME",
            description = "The kubeconfig context to use (default: its current-context).")
    String context;

    final CliEnvironment environment;

    MeshfedCommand(CliEnvironment environment) {
        this.environment = environment;
    }

    /**
     * The command line with meshfed's error boundary: a {@link CommandFailedException} prints
     * {@code meshfed: <message>} on stderr and exits with its code; bad arguments exit {@link ExitCodes#USAGE}.
     */
    public static CommandLine commandLine(CliEnvironment environment) {
        CommandLine cli = new CommandLine(new MeshfedCommand(environment));
        cli.setOut(environment.out());
        cli.setErr(environment.err());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CommandFailedException failed) {
                commandLine.getErr().println("meshfed: " + failed.getMessage());
                commandLine.getErr().flush();
                return failed.exitCode();
            }
            throw e;
        });
        return cli;
    }

    static MeshfedCommand of(CommandLine.Model.CommandSpec spec) {
        return (MeshfedCommand) spec.root().userObject();
    }

    URI brokerUri() {
        if (broker != null) {
            return broker;
        }
        String fromEnv = environment.variables().get("MESHFED_BROKER");
        return URI.create(fromEnv == null || fromEnv.isBlank() ? DEFAULT_BROKER : fromEnv.strip());
    }

    URI bridgeUri() {
        if (bridge != null) {
            return bridge;
        }
        String fromEnv = environment.variables().get("MESHFED_BRIDGE");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return URI.create(fromEnv.strip());
        }
        return brokerUri().resolve("/");
    }

    /** {@code --state-dir}, else env {@code MESHFED_STATE_DIR}, else null (read the management cluster). */
    Path stateDir() {
        if (stateDir != null) {
            return stateDir;
        }
        String fromEnv = environment.variables().get("MESHFED_STATE_DIR");
        return fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv.strip());
    }

    Duration timeout() {
        if (timeoutSeconds <= 0) {
            throw new CommandFailedException(ExitCodes.USAGE, "--timeout must be a positive number of seconds");
        }
        return Duration.ofSeconds(timeoutSeconds);
    }

    /** Where Kubernetes calls go: {@code --kubeconfig}/{@code --context} resolved as kubectl does. */
    KubeAccess kubeAccess() {
        return KubeAccess.resolve(kubeconfig, context, environment.variables(), timeout());
    }

    /** A client of the cluster {@link #kubeAccess()} names; the caller closes it. */
    io.fabric8.kubernetes.client.KubernetesClient kubernetes() {
        return environment.kubernetes().apply(kubeAccess());
    }

    Output output() {
        return new Output(format, environment.out());
    }

    /** A new event from the CLI: a random id, the current time, {@link #SOURCE}. */
    static CloudEventBuilder newEvent(String type, String subject) {
        CloudEventBuilder builder = CloudEventBuilder.v1().withId(UUID.randomUUID().toString()).withType(type)
                .withSource(SOURCE).withTime(OffsetDateTime.now(ZoneOffset.UTC));
        return subject == null ? builder : builder.withSubject(subject);
    }

    /** Sends {@code event} to the broker and prints the outcome; returns the exit code. */
    int deliver(CloudEvent event, Replies.Hints hints) {
        URI uri = brokerUri();
        BrokerClient.Delivery delivery = new BrokerClient(uri, timeout()).send(event);
        return Replies.print(event, delivery, uri, output(), hints);
    }

    /** {@code --version}: the jar's implementation version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = MeshfedCommand.class.getPackage().getImplementationVersion();
            return new String[] {"meshfed " + (version == null ? "(development build)" : version)};
        }
    }
}
