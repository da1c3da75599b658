package io.meshfed.registration;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.model.EventTypes;
import io.meshfed.model.MeshCluster;
import io.meshfed.registration.ClusterRegistry.Deregistered;
import io.meshfed.registration.ClusterRegistry.Registered;
import io.meshfed.registration.ClusterRegistry.Rejected;
import io.quarkus.funqy.Funq;
import io.quarkus.funqy.knative.events.CloudEvent;
import io.quarkus.funqy.knative.events.CloudEventBuilder;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The registration function: a thin CloudEvents adapter over {@link ClusterRegistry}. Reply ids are derived
 * from the request's id, so a redelivered request gets a reply with the same id, type and data.
 */
public class RegistrationFunctions {
    static final String SOURCE = "meshfed/registration";
    /** CloudEvents extension on {@code cluster.registered}: created, updated or unchanged. */
    static final String CHANGE_EXTENSION = "meshfedchange";
    private static final Logger LOG = Logger.getLogger(RegistrationFunctions.class);

    @Inject
    ClusterRegistry registry;

    /** Data of {@code io.meshfed.cluster.registered}. */
    public record ClusterRegisteredData(MeshCluster cluster, long generation) {
    }

    /** Data of {@code io.meshfed.cluster.registration.rejected}. */
    public record RegistrationRejectedData(String cluster, List<RejectionReason> reasons) {
    }

    /** Data of {@code io.meshfed.cluster.deregistered}. */
    public record ClusterDeregisteredData(String cluster, boolean existed) {
    }

    @Funq("register")
    public CloudEvent<Object> register(CloudEvent<JsonNode> event) {
        ClusterRegistry.RegistrationResult result = registry.register(RegistrationEvents.registration(event.data()));
        if (result instanceof Registered r) {
            LOG.infof("cluster %s registered (%s, generation %d)", r.cluster().name(),
                    r.change().name().toLowerCase(Locale.ROOT), r.generation());
            return reply(event, EventTypes.CLUSTER_REGISTERED, r.cluster().name(),
                    Map.of(CHANGE_EXTENSION, r.change().name().toLowerCase(Locale.ROOT)),
                    new ClusterRegisteredData(r.cluster(), r.generation()));
        }
        Rejected rejected = (Rejected) result;
        LOG.infof("registration of %s rejected: %s", rejected.cluster(), rejected.reasons());
        return reply(event, EventTypes.CLUSTER_REGISTRATION_REJECTED, rejected.cluster(), Map.of(),
                new RegistrationRejectedData(rejected.cluster(), rejected.reasons()));
    }

    @Funq("deregister")
    public CloudEvent<Object> deregister(CloudEvent<JsonNode> event) {
        String name = RegistrationEvents.deregistration(event.subject(), event.data());
        Deregistered d = registry.deregister(name);
        LOG.infof("cluster %s deregistered (existed: %s)", name, d.existed());
        return reply(event, EventTypes.CLUSTER_DEREGISTERED, name, Map.of(),
                new ClusterDeregisteredData(d.cluster(), d.existed()));
    }

    private static CloudEvent<Object> reply(CloudEvent<?> request, String type, String subject,
            Map<String, String> extensions, Object data) {
        CloudEventBuilder builder = CloudEventBuilder.create()
                .id(request.id() + "/" + type.substring(EventTypes.PREFIX.length()))
                .type(type)
                .source(SOURCE)
                .extensions(extensions);
        if (subject != null) {
            builder.subject(subject);
        }
        return builder.build(data);
    }
}
