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
                        + "could not be read, or that nothing changed."})
    static final class Sync implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "CLUSTER", description = "The registered cluster to read.")
        String cluster;

        @Override
        public Integer call() {
            MeshfedCommand root = MeshfedCommand.of(spec);
            byte[] data = JsonNodeFactory.instance.objectNode().put("cluster", cluster).toString()
                    .getBytes(StandardCharsets.UTF_8);
            var event = MeshfedCommand.newEvent(EventTypes.SERVICE_EXPORT_SYNC, cluster)
                    .withData("application/json", data).build();
            return root.deliver(event, new Replies.Hints(
                    "A change shows up as io.meshfed.catalog.changed on the broker and in "
                            + "'meshfed config show --cluster <other cluster>'.",
                    "nothing changed in " + cluster + "'s exported services"));
        }
    }
}
