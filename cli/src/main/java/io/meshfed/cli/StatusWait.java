package io.meshfed.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.meshfed.store.KubernetesClusterStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import picocli.CommandLine.Option;

/**
 * {@code --wait}: after an event is delivered (a broker's 202 included, which returns no reply), watch the cluster's
 * {@code MeshCluster} in the management cluster until the function's status for this request is there, and print it.
 * The functions write that status (docs/deploy.md, "Cluster status"); a refusal writes none, so a rejected
 * registration ends in the wait's timeout, which says so.
 */
final class StatusWait {
    /** The options every command that can wait has. */
    static final class Options {
        @Option(names = "--wait", description = "After sending, watch the MeshCluster in the management cluster "
                + "(--kubeconfig, --context, --namespace) until the function's status shows, and print it.")
        boolean wait;

        @Option(names = "--wait-timeout", paramLabel = "SECONDS", description = "How long --wait watches (default 120).")
        long waitSeconds = 120;

        Duration timeout() {
            if (waitSeconds <= 0) {
                throw ClusterCommand.usage("--wait-timeout must be a positive number of seconds");
            }
            return Duration.ofSeconds(waitSeconds);
        }
    }

    private StatusWait() {
    }

    /** The MeshCluster before the event is sent (null when absent), to tell a new status from an old one. */
    static GenericKubernetesResource before(MeshfedCommand root, KubernetesClient client, String cluster) {
        try {
            return resource(client, root.namespace, cluster).get();
        } catch (KubernetesClientException e) {
            throw cannotWatch(root, client, cluster, e);
        }
    }

    /** Waits for a Registered condition on the spec sent (an identical repeat is satisfied at once). */
    static int registered(MeshfedCommand root, KubernetesClient client, RegistrationData sent, Duration timeout) {
        Predicate<GenericKubernetesResource> done = r -> r != null && specMatches(r, sent)
                && condition(r, "Registered") != null
                && Objects.equals(condition(r, "Registered").path("observedGeneration").asLong(-1),
                        r.getMetadata().getGeneration());
        GenericKubernetesResource r = await(root, client, sent.name(), done, timeout,
                "a rejected registration writes no status: its reasons are in the "
                        + "io.meshfed.cluster.registration.rejected event on the broker");
        print(root.output(), r);
        return "True".equals(condition(r, "Registered").path("status").asText()) ? ExitCodes.OK : ExitCodes.REJECTED;
    }

    /** Waits until the MeshCluster is gone. */
    static int deregistered(MeshfedCommand root, KubernetesClient client, String cluster, Duration timeout) {
        await(root, client, cluster, Objects::isNull, timeout, "the deregistration may have been refused");
        Output output = root.output();
        if (output.isTable()) {
            output.line("MeshCluster " + root.namespace + "/" + cluster + " is gone");
        } else {
            output.document(JsonNodeFactory.instance.objectNode().put("cluster", cluster).put("deregistered", true));
        }
        return ExitCodes.OK;
    }

    /** Waits for a CatalogSynced condition or a catalog that differs from {@code before}'s. */
    static int synced(MeshfedCommand root, KubernetesClient client, GenericKubernetesResource before, String cluster,
            Duration timeout) {
        JsonNode oldCondition = condition(before, "CatalogSynced");
        JsonNode oldCatalog = status(before).path("catalog");
        Predicate<GenericKubernetesResource> done = r -> r != null && condition(r, "CatalogSynced") != null
                && (!condition(r, "CatalogSynced").equals(oldCondition) || !status(r).path("catalog").equals(oldCatalog));
        GenericKubernetesResource r = await(root, client, cluster, done, timeout,
                "a sync that fails as the last one did, or finds what the last one found, changes no status; now: "
                        + summary(before));
        print(root.output(), r);
        return "True".equals(condition(r, "CatalogSynced").path("status").asText()) ? ExitCodes.OK
                : ExitCodes.REJECTED;
    }

    private static GenericKubernetesResource await(MeshfedCommand root, KubernetesClient client, String cluster,
            Predicate<GenericKubernetesResource> done, Duration timeout, String ifNot) {
        try {
            return resource(client, root.namespace, cluster).waitUntilCondition(done, timeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (KubernetesClientTimeoutException e) {
            throw new CommandFailedException(ExitCodes.UNREACHABLE, "no new status on MeshCluster " + root.namespace
                    + "/" + cluster + " within " + timeout.toSeconds() + " s (--wait-timeout); " + ifNot, e);
        } catch (KubernetesClientException e) {
            throw cannotWatch(root, client, cluster, e);
        }
    }

    private static CommandFailedException cannotWatch(MeshfedCommand root, KubernetesClient client, String cluster,
            KubernetesClientException e) {
        return new CommandFailedException(ExitCodes.UNREACHABLE, "cannot read MeshCluster " + root.namespace
                + "/" + cluster + " at " + client.getMasterUrl() + " (" + root.kubeAccess().describe() + "): "
                + ClusterCommand.cause(e) + (e.getCode() == 403 ? "; this needs get (and, for --wait, watch) on meshclusters.meshfed.io"
                        : ""), e);
    }

    private static Resource<GenericKubernetesResource> resource(KubernetesClient client, String namespace,
            String cluster) {
        return client.genericKubernetesResources(KubernetesClusterStore.MESH_CLUSTER).inNamespace(namespace)
                .withName(cluster);
    }

    private static boolean specMatches(GenericKubernetesResource r, RegistrationData sent) {
        JsonNode spec = Output.JSON.valueToTree(r.getAdditionalProperties().get("spec"));
        if (spec == null) {
            return false;
        }
        boolean same = Objects.equals(sent.network(), spec.path("network").asText(null))
                && Objects.equals(sent.trustDomain(), spec.path("trustDomain").asText(null));
        if (sent.locality() != null) {
            same &= Objects.equals(sent.locality().region(), spec.path("locality").path("region").asText(null));
        }
        if (sent.eastWestGateway() != null) {
            same &= Objects.equals(sent.eastWestGateway().address(),
                    spec.path("eastWestGateway").path("address").asText(null));
            if (sent.eastWestGateway().port() != null) {
                same &= sent.eastWestGateway().port() == spec.path("eastWestGateway").path("port").asInt(-1);
            }
        }
        return same;
    }

    static JsonNode status(GenericKubernetesResource r) {
        Object status = r == null ? null : r.getAdditionalProperties().get("status");
        return status == null ? JsonNodeFactory.instance.objectNode() : Output.JSON.valueToTree(status);
    }

    /** The condition of {@code type}, or null. */
    static JsonNode condition(GenericKubernetesResource r, String type) {
        for (JsonNode c : status(r).path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c;
            }
        }
        return null;
    }

    private static String summary(GenericKubernetesResource r) {
        List<String> parts = new ArrayList<>();
        for (JsonNode c : status(r).path("conditions")) {
            parts.add(c.path("type").asText() + "=" + c.path("status").asText()
                    + (c.path("reason").asText("").isEmpty() ? "" : " (" + c.path("reason").asText() + ")"));
        }
        return parts.isEmpty() ? "no status" : String.join(", ", parts);
    }

    /** The status as kubectl get meshclusters shows it, one condition per row, then the catalog and CA fields. */
    static void print(Output output, GenericKubernetesResource r) {
        JsonNode status = status(r);
        if (!output.isTable()) {
            ObjectNode doc = JsonNodeFactory.instance.objectNode();
            doc.put("cluster", r.getMetadata().getName());
            doc.put("generation", r.getMetadata().getGeneration());
            doc.set("status", status);
            output.document(doc);
            return;
        }
        output.line("MeshCluster " + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName() + " (generation "
                + r.getMetadata().getGeneration() + "):");
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode c : status.path("conditions")) {
            rows.add(List.of(c.path("type").asText(), c.path("status").asText(), c.path("reason").asText(""),
                    c.path("lastTransitionTime").asText(""), c.path("message").asText("")));
        }
        output.out().print(Output.table(List.of("condition", "status", "reason", "since", "message"), rows));
        if (status.has("catalog")) {
            output.line("catalog: synced at " + status.path("catalog").path("syncedAt").asText() + ", "
                    + status.path("catalog").path("services").asInt() + " services");
        }
        if (status.has("ca")) {
            output.line("ca: intermediate serial " + status.path("ca").path("serial").asText() + ", expires "
                    + status.path("ca").path("notAfter").asText());
        }
        output.out().flush();
    }
}
