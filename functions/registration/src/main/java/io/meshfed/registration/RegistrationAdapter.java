package io.meshfed.registration;

import io.cloudevents.CloudEvent;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventData;
import io.meshfed.model.EventTypes;
import io.meshfed.model.MeshCluster;
import io.meshfed.registration.ClusterRegistry.Deregistered;
import io.meshfed.registration.ClusterRegistry.Registered;
import io.meshfed.registration.ClusterRegistry.Rejected;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The registration function's one CloudEvents adapter over {@link ClusterRegistry}, for every host: the Funqy
 * functions ({@link RegistrationFunctions}) and local mode's broker call {@link #handle}. Handles
 * {@code cluster.registration.requested} and {@code cluster.deregistration.requested}; the reply is always an event
 * (a rejection is an answer). Reply ids derive from the request's id, so a redelivered request gets a reply with the
 * same id, type and data.
 *
 * <p>Thread-safety: as {@link ClusterRegistry}; the adapter holds no state.
 */
public final class RegistrationAdapter {
    public static final String SOURCE = "meshfed/registration";
    /** CloudEvents extension on {@code cluster.registered}: created, updated or unchanged. */
    public static final String CHANGE_EXTENSION = "meshfedchange";

    /** Data of {@code io.meshfed.cluster.registered}. */
    public record ClusterRegisteredData(MeshCluster cluster, long generation) {
    }

    /** Data of {@code io.meshfed.cluster.registration.rejected}. */
    public record RegistrationRejectedData(String cluster, List<RejectionReason> reasons) {
    }

    /** Data of {@code io.meshfed.cluster.deregistered}. */
    public record ClusterDeregisteredData(String cluster, boolean existed) {
    }

    private final ClusterRegistry registry;
    private final Consumer<String> progress;

    /** @param progress told one line per handled event (the Funqy app logs it, local mode prints it) */
    public RegistrationAdapter(ClusterRegistry registry, Consumer<String> progress) {
        this.registry = registry;
        this.progress = progress;
    }

    /**
     * The reply to {@code event}.
     *
     * @throws BadEventException when the event cannot be read as its type's data (nothing is written)
     */
    public Optional<CloudEvent> handle(CloudEvent event) {
        if (EventTypes.CLUSTER_REGISTRATION_REQUESTED.equals(event.getType())) {
            return Optional.of(register(event));
        }
        if (EventTypes.CLUSTER_DEREGISTRATION_REQUESTED.equals(event.getType())) {
            return Optional.of(deregister(event));
        }
        throw new BadEventException("type", "meshfed-registration does not handle " + event.getType());
    }

    private CloudEvent register(CloudEvent event) {
        ClusterRegistry.RegistrationResult result = registry.register(
                RegistrationEvents.registration(EventData.tree(event)));
        if (result instanceof Registered r) {
            String change = r.change().name().toLowerCase(Locale.ROOT);
            progress.accept("cluster " + r.cluster().name() + " registered (" + change + ", generation "
                    + r.generation() + ")");
            return EventData.reply(event, EventTypes.CLUSTER_REGISTERED, SOURCE, r.cluster().name(),
                    new ClusterRegisteredData(r.cluster(), r.generation()), Map.of(CHANGE_EXTENSION, change));
        }
        Rejected rejected = (Rejected) result;
        progress.accept("registration of " + rejected.cluster() + " REJECTED: " + rejected.reasons());
        return EventData.reply(event, EventTypes.CLUSTER_REGISTRATION_REJECTED, SOURCE, rejected.cluster(),
                new RegistrationRejectedData(rejected.cluster(), rejected.reasons()), Map.of());
    }

    private CloudEvent deregister(CloudEvent event) {
        String name = RegistrationEvents.deregistration(event.getSubject(), EventData.tree(event));
        Deregistered d = registry.deregister(name);
        progress.accept("cluster " + name + " deregistered (existed: " + d.existed() + ")");
        return EventData.reply(event, EventTypes.CLUSTER_DEREGISTERED, SOURCE, name,
                new ClusterDeregisteredData(d.cluster(), d.existed()), Map.of());
    }
}
