package io.meshfed.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.model.EventTypes;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.ClusterStore.StoredCluster;
import io.meshfed.store.FileClusterStore;
import io.meshfed.store.KubernetesClusterStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshfed cluster register|deregister|list}. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "Register, deregister and list clusters.",
        subcommands = {ClusterCommand.Register.class, ClusterCommand.Deregister.class, ClusterCommand.ListClusters.class,
            ClusterCommand.Status.class})
final class ClusterCommand {

    /** Reads registration files strictly: an unknown field or a wrong type is an error naming it. */
    static final ObjectMapper STRICT_JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    static final ObjectMapper STRICT_YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = {"Send io.meshfed.cluster.registration.requested and print the reply.",
                "Either -f FILE (the event data of docs/events.md as JSON or YAML) or the flags."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed cluster register -f examples/cli/register-east.yaml",
                "  bin/meshfed cluster register --name north --network net-north --region eu-north1 --gateway 10.9.9.9"
                        + " --trust-domain north.meshfed.example --no-api-access",
                "  bin/meshfed cluster register --name west --network net-west --region eu-west1 --gateway 34.120.20.1:15443"
                        + " --trust-domain west.meshfed.example --api-server https://34.120.0.6:6443 --ca-file west-ca.pem"
                        + " --token-file west.token",
                "  bin/meshfed cluster register -f examples/cli/register-east.yaml --wait"
                        + " --broker https://broker.example/meshfed/meshfed"})
    static final class Register implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "cluster.json or cluster.yaml ('-' reads stdin as YAML or JSON).")
        Path file;

        @Option(names = "--name", description = "Cluster name (DNS-1123 label).")
        String name;
        @Option(names = "--network", description = "The cluster's network.")
        String network;
        @Option(names = "--region", description = "Locality region.")
        String region;
        @Option(names = "--zone", description = "Locality zone (optional).")
        String zone;
        @Option(names = "--gateway", paramLabel = "HOST[:PORT]", description = "East-west gateway address (port default 15443).")
        String gateway;
        @Option(names = "--trust-domain", description = "SPIFFE trust domain.")
        String trustDomain;
        @Option(names = "--api-server", paramLabel = "URL", description = "https:// URL of the cluster's API server.")
        String apiServer;
        @Option(names = "--ca-file", paramLabel = "FILE", description = "PEM CA certificate of the API server.")
        Path caFile;
        @Option(names = "--token-file", paramLabel = "FILE", description = "Bearer token file.")
        Path tokenFile;
        @Option(names = "--client-cert-file", paramLabel = "FILE", description = "PEM client certificate (instead of a token).")
        Path clientCertFile;
        @Option(names = "--client-key-file", paramLabel = "FILE", description = "PEM client key (with --client-cert-file).")
        Path clientKeyFile;
        @Option(names = "--no-api-access", description = "The cluster only consumes federated config: no API server, no credentials.")
        boolean noApiAccess;

        @picocli.CommandLine.Mixin
        StatusWait.Options waiting;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            RegistrationData data = file != null ? fromFile() : fromFlags();
            byte[] json;
            try {
                json = Output.JSON.writeValueAsBytes(data);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a record of strings always serializes", e);
            }
            var event = MeshfedCommand.newEvent(EventTypes.CLUSTER_REGISTRATION_REQUESTED, data.name())
                    .withData("application/json", json).build();
            Replies.Hints hints = new Replies.Hints(waiting.wait ? "Watching MeshCluster " + root.namespace + "/"
                    + data.name() + " for its status (--wait)."
                    : "Check with 'meshfed cluster list' (or 'kubectl get meshclusters -n " + root.namespace
                            + "'), or send with --wait; a rejection is an io.meshfed.cluster.registration.rejected "
                            + "event on the broker.",
                    "registration handled");
            if (!waiting.wait) {
                return root.deliver(event, hints);
            }
            java.time.Duration timeout = waiting.timeout();
            try (KubernetesClient client = root.kubernetes()) {
                StatusWait.before(root, client, data.name());
                int code = root.deliver(event, hints);
                return code != ExitCodes.OK ? code : StatusWait.registered(root, client, data, timeout);
            }
        }

        private RegistrationData fromFile() {
            List<String> flags = flagsGiven();
            if (!flags.isEmpty()) {
                throw usage("-f cannot be combined with " + String.join(", ", flags) + "; put them in the file");
            }
            String text;
            try {
                text = "-".equals(file.toString())
                        ? new String(MeshfedCommand.of(spec).environment.in().readAllBytes(), StandardCharsets.UTF_8)
                        : Files.readString(file);
            } catch (IOException e) {
                throw usage("cannot read " + file + ": " + e.getMessage());
            }
            boolean json = text.stripLeading().startsWith("{");
            try {
                RegistrationData data = (json ? STRICT_JSON : STRICT_YAML).readValue(text, RegistrationData.class);
                if (data == null) {
                    throw usage(file + " is empty");
                }
                return data;
            } catch (JsonMappingException e) {
                String path = e.getPath().stream()
                        .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                        .collect(Collectors.joining(".")).replace(".[", "[");
                String problem = e instanceof InvalidFormatException invalid
                        ? "expected " + (Number.class.isAssignableFrom(invalid.getTargetType()) ? "a number" : "a "
                                + invalid.getTargetType().getSimpleName()) + ", got '" + invalid.getValue() + "'"
                        : e instanceof UnrecognizedPropertyException unknown
                                ? "is not a known field (known: " + unknown.getKnownPropertyIds() + ")"
                                : e.getOriginalMessage();
                throw usage(file + ": " + (path.isEmpty() ? "" : path + ": ") + problem);
            } catch (JsonProcessingException e) {
                throw usage(file + " is not valid " + (json ? "JSON" : "YAML") + ": " + e.getOriginalMessage()
                        + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
            }
        }

        private RegistrationData fromFlags() {
            if (name == null) {
                throw usage("give -f FILE or at least --name (see 'meshfed cluster register --help')");
            }
            if (noApiAccess) {
                List<String> api = new ArrayList<>();
                addIf(api, apiServer != null, "--api-server");
                addIf(api, caFile != null, "--ca-file");
                addIf(api, tokenFile != null, "--token-file");
                addIf(api, clientCertFile != null, "--client-cert-file");
                addIf(api, clientKeyFile != null, "--client-key-file");
                if (!api.isEmpty()) {
                    throw usage("--no-api-access cannot be combined with " + String.join(", ", api));
                }
            } else if (tokenFile != null && (clientCertFile != null || clientKeyFile != null)) {
                throw usage("give --token-file or --client-cert-file/--client-key-file, not both");
            } else if ((clientCertFile == null) != (clientKeyFile == null)) {
                throw usage("--client-cert-file and --client-key-file go together");
            }
            RegistrationData.Locality locality = region == null && zone == null ? null
                    : new RegistrationData.Locality(region, zone);
            RegistrationData.ApiServer api = noApiAccess || (apiServer == null && caFile == null) ? null
                    : new RegistrationData.ApiServer(apiServer, caFile == null ? null : read(caFile, "--ca-file"));
            RegistrationData.Credentials credentials = null;
            if (tokenFile != null) {
                credentials = new RegistrationData.Credentials(read(tokenFile, "--token-file").strip(), null, null);
            } else if (clientCertFile != null) {
                credentials = new RegistrationData.Credentials(null, read(clientCertFile, "--client-cert-file"),
                        read(clientKeyFile, "--client-key-file"));
            }
            return new RegistrationData(name, network, locality, gateway == null ? null : gateway(gateway),
                    trustDomain, noApiAccess ? "none" : null, api, credentials);
        }

        private List<String> flagsGiven() {
            List<String> given = new ArrayList<>();
            addIf(given, name != null, "--name");
            addIf(given, network != null, "--network");
            addIf(given, region != null, "--region");
            addIf(given, zone != null, "--zone");
            addIf(given, gateway != null, "--gateway");
            addIf(given, trustDomain != null, "--trust-domain");
            addIf(given, apiServer != null, "--api-server");
            addIf(given, caFile != null, "--ca-file");
            addIf(given, tokenFile != null, "--token-file");
            addIf(given, clientCertFile != null, "--client-cert-file");
            addIf(given, clientKeyFile != null, "--client-key-file");
            addIf(given, noApiAccess, "--no-api-access");
            return given;
        }

        private static void addIf(List<String> list, boolean condition, String flag) {
            if (condition) {
                list.add(flag);
            }
        }

        private static String read(Path path, String option) {
            try {
                return Files.readString(path);
            } catch (IOException e) {
                throw usage(option + " " + path + " cannot be read: " + e.getMessage());
            }
        }

        /** {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}; a bare IPv6 literal has no port. */
        static RegistrationData.Gateway gateway(String text) {
            String host = text;
            String port = null;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0) {
                    throw usage("--gateway " + text + ": missing ']' after the IPv6 address");
                }
                host = text.substring(1, close);
                String rest = text.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw usage("--gateway " + text + ": expected ':PORT' after ']'");
                    }
                    port = rest.substring(1);
                }
            } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
                host = text.substring(0, text.indexOf(':'));
                port = text.substring(text.indexOf(':') + 1);
            }
            Integer portNumber = null;
            if (port != null) {
                try {
                    portNumber = Integer.valueOf(port);
                } catch (NumberFormatException e) {
                    throw usage("--gateway " + text + ": port '" + port + "' is not a number");
                }
            }
            return new RegistrationData.Gateway(host, portNumber);
        }
    }

    @Command(name = "deregister", mixinStandardHelpOptions = true,
            description = "Send io.meshfed.cluster.deregistration.requested and print the reply.",
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed cluster deregister north",
                "  bin/meshfed cluster deregister north --wait --wait-timeout 60"})
    static final class Deregister implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The cluster to remove.")
        String name;

        @picocli.CommandLine.Mixin
        StatusWait.Options waiting;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            ObjectNode data = JsonNodeFactory.instance.objectNode().put("name", name);
            var event = MeshfedCommand.newEvent(EventTypes.CLUSTER_DEREGISTRATION_REQUESTED, name)
                    .withData("application/json", data.toString().getBytes(StandardCharsets.UTF_8)).build();
            Replies.Hints hints = new Replies.Hints(waiting.wait ? "Watching MeshCluster " + root.namespace + "/"
                    + name + " until it is gone (--wait)."
                    : "Check with 'meshfed cluster list' (or 'kubectl get meshclusters -n " + root.namespace
                            + "'), or send with --wait.",
                    "deregistration handled");
            if (!waiting.wait) {
                return root.deliver(event, hints);
            }
            java.time.Duration timeout = waiting.timeout();
            try (KubernetesClient client = root.kubernetes()) {
                StatusWait.before(root, client, name);
                int code = root.deliver(event, hints);
                return code != ExitCodes.OK ? code : StatusWait.deregistered(root, client, name, timeout);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List registered clusters.",
                "There is no list event: this reads the MeshCluster resources of the management cluster (current "
                        + "kubeconfig, --namespace) or, with --state-dir, the local mode's state directory."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed cluster list --state-dir .meshfed/state/two-clusters   # local mode",
                "  bin/meshfed cluster list --context prod -o yaml"})
    static final class ListClusters implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            List<StoredCluster> clusters = root.stateDir() != null ? fromStateDir(root.stateDir()) : fromKubernetes(root);
            Output output = root.output();
            if (output.isTable()) {
                if (clusters.isEmpty()) {
                    output.line("no clusters registered");
                    return ExitCodes.OK;
                }
                List<List<String>> rows = new ArrayList<>();
                for (StoredCluster stored : clusters) {
                    MeshCluster c = stored.cluster();
                    rows.add(List.of(c.name(), c.network(), c.locality().region(), nullToEmpty(c.locality().zone()),
                            c.eastWestGateway().address() + ":" + c.eastWestGateway().port(), c.trustDomain(),
                            c.apiServer() == null ? "none" : c.apiServer().url(), Long.toString(stored.generation())));
                }
                output.out().print(Output.table(List.of("name", "network", "region", "zone", "gateway",
                        "trust-domain", "api-server", "generation"), rows));
                output.out().flush();
            } else {
                ArrayNode items = JsonNodeFactory.instance.arrayNode();
                for (StoredCluster stored : clusters) {
                    ObjectNode item = Output.JSON.valueToTree(stored.cluster());
                    item.put("generation", stored.generation());
                    items.add(item);
                }
                ObjectNode document = JsonNodeFactory.instance.objectNode();
                document.set("clusters", items);
                output.document(document);
            }
            return ExitCodes.OK;
        }

        private static List<StoredCluster> fromStateDir(Path stateDir) {
            if (!Files.isDirectory(stateDir)) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "state directory " + stateDir + " does not exist");
            }
            if (!Files.isDirectory(stateDir.resolve("clusters"))) {
                return List.of();
            }
            try {
                return new FileClusterStore(stateDir).list();
            } catch (UncheckedIOException | IllegalArgumentException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot read clusters from " + stateDir + ": "
                        + rootMessage(e), e);
            }
        }

        private static List<StoredCluster> fromKubernetes(MeshfedCommand root) {
            try (KubernetesClient client = root.kubernetes()) {
                ClusterStore store = new KubernetesClusterStore(client, root.namespace);
                try {
                    return store.list();
                } catch (KubernetesClientException e) {
                    throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot list MeshClusters in namespace "
                            + root.namespace + " at " + client.getMasterUrl() + " (" + root.kubeAccess().describe() + "): " + cause(e)
                            + "; for local mode give --state-dir", e);
                }
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = {"Show what the functions last reported about a cluster: its MeshCluster's conditions "
                    + "(Registered, ApiReachable, CatalogSynced, CAIssued), the last sync and its CA's expiry.",
                "Reads the management cluster (--kubeconfig, --context, --namespace); local mode keeps no status."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed cluster status east",
                "  bin/meshfed cluster status east -o json --context prod"})
    static final class Status implements java.util.concurrent.Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "The cluster.")
        String name;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            try (KubernetesClient client = root.kubernetes()) {
                var cluster = StatusWait.before(root, client, name);
                if (cluster == null) {
                    throw new CommandFailedException(ExitCodes.NOT_FOUND, "no MeshCluster " + root.namespace + "/"
                            + name + " at " + client.getMasterUrl() + " (" + root.kubeAccess().describe() + ")");
                }
                StatusWait.print(root.output(), cluster);
                return ExitCodes.OK;
            }
        }
    }

    /**
     * What went wrong with a Kubernetes call, briefly: the API server's status and message, or the innermost
     * cause of a connection failure (e.g. {@code UnknownHostException: kubernetes.default.svc}).
     */
    static String cause(KubernetesClientException e) {
        if (e.getCode() > 0) {
            String message = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                    : e.getMessage();
            return "HTTP " + e.getCode() + ": " + message;
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? e.getMessage() : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String message = e.getMessage();
        return t == e || t.getMessage() == null ? message : message + " (" + t.getMessage() + ")";
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    static CommandFailedException usage(String message) {
        return new CommandFailedException(ExitCodes.USAGE, message);
    }
}
