package io.meshfed.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.store.FilePolicyStore;
import io.meshfed.store.KubernetesPolicyStore;
import io.meshfed.store.PolicyStore;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code meshfed policy list}: every TrafficPolicy and AccessPolicy with what it did in each cluster (docs/policy.md,
 * "Status"), read from the management cluster (the custom resources and their {@code status.clusters}) or local
 * mode's state directory ({@code policies/} and {@code policies/status/}). Policies are written with kubectl or as
 * files; there is no event that lists them.
 */
@Command(name = "policy", mixinStandardHelpOptions = true, description = "Fleet-wide traffic and access policies.",
        subcommands = PolicyCommand.ListPolicies.class)
final class PolicyCommand {

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List policies and their status in each cluster.",
                "Reads the TrafficPolicy and AccessPolicy resources of the management cluster (--kubeconfig, --context,"
                        + " --namespace) or, with --state-dir, the local mode's policies/ directory."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed policy list --state-dir .meshfed/state/two-clusters   # local mode",
                "  bin/meshfed policy list -n meshfed -o json"})
    static final class ListPolicies implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            if (root.stateDir() != null) {
                if (!Files.isDirectory(root.stateDir())) {
                    throw new CommandFailedException(ExitCodes.UNREACHABLE, "state directory " + root.stateDir()
                            + " does not exist");
                }
                try {
                    print(root.output(), new FilePolicyStore(root.stateDir()));
                } catch (UncheckedIOException e) {
                    throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot read policies from "
                            + root.stateDir() + ": " + ClusterCommand.rootMessage(e), e);
                }
                return ExitCodes.OK;
            }
            try (KubernetesClient client = root.kubernetes()) {
                print(root.output(), new KubernetesPolicyStore(client, root.namespace));
            } catch (KubernetesClientException e) {
                throw new CommandFailedException(ExitCodes.UNREACHABLE, "cannot list policies in namespace "
                        + root.namespace + " (" + root.kubeAccess().describe() + "): " + ClusterCommand.cause(e)
                        + "; for local mode give --state-dir", e);
            }
            return ExitCodes.OK;
        }
    }

    /** One row per policy and cluster; a policy with no status yet (or the model refuses) has its own row. */
    static void print(Output output, PolicyStore store) {
        PolicyStore.Stored stored = store.list();
        Map<String, List<PolicyStatus>> statuses = store.statuses();
        Map<String, String> policies = new TreeMap<>(); // ref -> destination
        stored.traffic().forEach(p -> policies.put(p.ref(), destination(p.spec().destination())));
        stored.access().forEach(p -> policies.put(p.ref(), p.spec().isDefaultDeny() ? "default deny"
                : destination(p.spec().destination())));
        stored.invalid().forEach(p -> policies.put(p.ref(), ""));
        if (output.isTable()) {
            if (policies.isEmpty()) {
                output.line("no policies");
                return;
            }
            List<List<String>> rows = new ArrayList<>();
            policies.forEach((ref, destination) -> {
                List<PolicyStatus> clusters = current(ref, stored, statuses);
                if (clusters.isEmpty()) {
                    rows.add(List.of(ref, destination, "", "Pending", "", "not translated yet"));
                }
                for (PolicyStatus s : clusters) {
                    rows.add(List.of(ref, destination, s.cluster(), s.state().name(), String.join(",", s.services()),
                            String.join("; ", s.messages())));
                }
            });
            output.out().print(Output.table(List.of("policy", "destination", "cluster", "state", "services",
                    "messages"), rows));
            output.out().flush();
            return;
        }
        ArrayNode items = JsonNodeFactory.instance.arrayNode();
        policies.forEach((ref, destination) -> {
            ObjectNode item = items.addObject();
            item.put("policy", ref);
            item.put("destination", destination);
            item.set("clusters", Output.JSON.valueToTree(current(ref, stored, statuses)));
        });
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        document.set("policies", items);
        output.document(document);
    }

    /** An invalid policy's statuses are its violations now, whatever the bridge last recorded. */
    private static List<PolicyStatus> current(String ref, PolicyStore.Stored stored,
            Map<String, List<PolicyStatus>> statuses) {
        for (PolicyStore.Invalid bad : stored.invalid()) {
            if (bad.ref().equals(ref)) {
                return List.of(new PolicyStatus(ref, "*", PolicyStatus.State.Invalid, List.of(),
                        bad.violations().stream().map(Object::toString).toList()));
            }
        }
        return statuses.getOrDefault(ref, List.of());
    }

    private static String destination(io.meshfed.model.policy.PolicyDestination d) {
        return d.namespace() + "/" + (d.service() == null ? "*" : d.service())
                + (d.exportedBy().isEmpty() ? "" : " exported by " + String.join(",", d.exportedBy()));
    }
}
