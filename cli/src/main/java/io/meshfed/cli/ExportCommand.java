package io.meshfed.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.meshfed.model.EventTypes;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code meshfed export sync CLUSTER}. */
@Command(name = "export", mixinStandardHelpOptions = true, description = "Service export.",
        subcommands = ExportCommand.Sync.class)
final class ExportCommand {

    @Command(name = "sync", mixinStandardHelpOptions = true,
            description = {"Send io.meshfed.service.export.sync: read CLUSTER's exported services again.",
                "Prints catalog.changed when the catalog changed, service.export.failed when the cluster's API "
                        + "could not be read, or that nothing changed."},
            footerHeading = "%nExamples:%n",
            footer = {"  bin/meshfed export sync east",
                "  bin/meshfed export sync east --wait --context prod"})
    static final class Sync implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "CLUSTER", description = "The registered cluster to read.")
        String cluster;

        @picocli.CommandLine.Mixin
        StatusWait.Options waiting;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            byte[] data = JsonNodeFactory.instance.objectNode().put("cluster", cluster).toString()
                    .getBytes(StandardCharsets.UTF_8);
            var event = MeshfedCommand.newEvent(EventTypes.SERVICE_EXPORT_SYNC, cluster)
                    .withData("application/json", data).build();
            Replies.Hints hints = new Replies.Hints(waiting.wait ? "Watching MeshCluster " + root.namespace + "/"
                    + cluster + " for the sync's status (--wait)." :
                    "A change shows up as io.meshfed.catalog.changed on the broker and in "
                            + "'meshfed config show --cluster <other cluster>'; --wait shows the sync's status.",
                    "nothing changed in " + cluster + "'s exported services");
            if (!waiting.wait) {
                return root.deliver(event, hints);
            }
            java.time.Duration timeout = waiting.timeout();
            try (io.fabric8.kubernetes.client.KubernetesClient client = root.kubernetes()) {
                var before = StatusWait.before(root, client, cluster);
                if (before == null) {
                    throw new CommandFailedException(ExitCodes.NOT_FOUND, "no MeshCluster " + root.namespace + "/"
                            + cluster + " at " + client.getMasterUrl() + ": register it first (nothing was sent)");
                }
                int code = root.deliver(event, hints);
                return code != ExitCodes.OK ? code : StatusWait.synced(root, client, before, cluster, timeout);
            }
        }
    }
}
