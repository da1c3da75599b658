package io.meshfed.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.meshfed.export.CatalogSync;
import io.meshfed.export.ExportEvents;
import io.meshfed.export.SyncResult;
import io.meshfed.model.BadEventException;
import io.meshfed.model.EventTypes;
import io.meshfed.model.ModelJson;
import io.meshfed.model.Rules;
import io.meshfed.pki.signing.CsrRejected;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.CsrSubmitted;
import io.meshfed.pki.signing.Rejection;
import io.meshfed.pki.signing.RejectionReason;
import io.meshfed.pki.signing.SigningOutcome;
import io.meshfed.registration.ClusterRegistry;
import io.meshfed.registration.RegistrationEvents;
import io.meshfed.registration.RegistrationFunctions;
import io.meshfed.registration.RegistrationRequest;
import io.meshfed.xds.app.CatalogFeed;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The four Knative Services of meshfed as local {@link Subscriber}s, one per service name the Triggers subscribe.
 * Each maps the event to its domain service and the outcome to the reply event the Funqy function sends (same type,
 * subject, data and id rule: the request's id + "/" + the reply type without its prefix).
 */
final class Functions {
    private Functions() {
    }

    static final String REGISTRATION = "meshfed-registration";
    static final String EXPORT = "meshfed-export";
    static final String PKI = "meshfed-pki";
    static final String XDS_BRIDGE = "meshfed-xds-bridge";

    static Subscriber registration(ClusterRegistry registry, Consumer<String> progress) {
        return event -> {
            if (EventTypes.CLUSTER_REGISTRATION_REQUESTED.equals(event.getType())) {
                RegistrationRequest request = RegistrationEvents.registration(tree(event));
                ClusterRegistry.RegistrationResult result = registry.register(request);
                if (result instanceof ClusterRegistry.Registered r) {
                    String change = r.change().name().toLowerCase(Locale.ROOT);
                    progress.accept("cluster " + r.cluster().name() + " registered (" + change + ", generation "
                            + r.generation() + ")");
                    return Optional.of(reply(event, EventTypes.CLUSTER_REGISTERED, r.cluster().name(), "meshfed/registration",
                            new RegistrationFunctions.ClusterRegisteredData(r.cluster(), r.generation()))
                            .withExtension("meshfedchange", change).build());
                }
                ClusterRegistry.Rejected rejected = (ClusterRegistry.Rejected) result;
                progress.accept("registration of " + rejected.cluster() + " REJECTED: " + rejected.reasons());
                return Optional.of(reply(event, EventTypes.CLUSTER_REGISTRATION_REJECTED, rejected.cluster(),
                        "meshfed/registration", new RegistrationFunctions.RegistrationRejectedData(rejected.cluster(),
                                rejected.reasons())).build());
            }
            if (EventTypes.CLUSTER_DEREGISTRATION_REQUESTED.equals(event.getType())) {
                String name = RegistrationEvents.deregistration(event.getSubject(), tree(event));
                ClusterRegistry.Deregistered d = registry.deregister(name);
                progress.accept("cluster " + name + " deregistered (existed: " + d.existed() + ")");
                return Optional.of(reply(event, EventTypes.CLUSTER_DEREGISTERED, name, "meshfed/registration",
                        new RegistrationFunctions.ClusterDeregisteredData(name, d.existed())).build());
            }
            throw new BadEventException("type", "meshfed-registration does not handle " + event.getType());
        };
    }

    static Subscriber export(CatalogSync sync, Consumer<String> progress) {
        return event -> {
            String type = event.getType();
            byte[] data = event.getData() == null ? null : event.getData().toBytes();
            SyncResult result;
            if (EventTypes.CLUSTER_REGISTERED.equals(type)) {
                ExportEvents.ClusterRegisteredData registered = ExportEvents.registered(event.getSubject(), data);
                result = sync.registered(registered.cluster().name(), registered.generation());
            } else if (EventTypes.CLUSTER_DEREGISTERED.equals(type)) {
                result = sync.deregistered(ExportEvents.deregistered(event.getSubject(), data));
            } else if (type.startsWith("dev.knative.apiserver.resource.")) {
                Object ext = event.getExtension(ExportEvents.CLUSTER_EXTENSION);
                result = sync.sync(ExportEvents.apiServerCluster(
                        ext == null ? Map.of() : Map.of(ExportEvents.CLUSTER_EXTENSION, ext.toString())));
            } else if (EventTypes.SERVICE_EXPORT_SYNC.equals(type) || "dev.knative.sources.ping".equals(type)) {
                result = sync.sync(ExportEvents.syncCluster(event.getSubject(), data));
            } else {
                throw new BadEventException("type", "meshfed-export does not handle " + type);
            }
            if (result instanceof SyncResult.Changed changed) {
                var c = changed.change();
                progress.accept("catalog of " + c.cluster() + (c.removed() ? " removed" : " changed (version "
                        + c.version() + ")"));
                return Optional.of(reply(event, EventTypes.CATALOG_CHANGED, c.cluster(), "meshfed/export", c).build());
            }
            if (result instanceof SyncResult.Failed failed) {
                progress.accept("export of " + failed.failure().cluster() + " FAILED: " + failed.failure());
                return Optional.of(reply(event, EventTypes.SERVICE_EXPORT_FAILED, failed.failure().cluster(),
                        "meshfed/export", failed.failure()).build());
            }
            return Optional.empty();
        };
    }

    static Subscriber pki(CsrSigningService service, Consumer<String> progress) {
        return event -> {
            if (!EventTypes.CSR_SUBMITTED.equals(event.getType())) {
                throw new BadEventException("type", "meshfed-pki does not handle " + event.getType());
            }
            CsrSubmitted request;
            try {
                request = read(event, CsrSubmitted.class);
            } catch (BadEventException e) {
                return Optional.of(reply(event, EventTypes.CSR_REJECTED, null, "meshfed/pki", new CsrRejected(null, null,
                        List.of(Rejection.of(RejectionReason.INVALID_REQUEST, "event data is not csr.submitted data: "
                                + e.getMessage())))).build());
            }
            SigningOutcome outcome = service.handle(request, event.getSource().toString());
            if (outcome instanceof SigningOutcome.Signed signed) {
                if (!signed.replayed()) {
                    progress.accept("signed the intermediate CA of " + signed.data().cluster() + " (serial "
                            + signed.data().serial() + ")");
                }
                return Optional.of(reply(event, EventTypes.CSR_SIGNED, signed.data().cluster(), "meshfed/pki",
                        signed.data()).build());
            }
            CsrRejected rejected = ((SigningOutcome.Rejected) outcome).data();
            progress.accept("CSR of " + rejected.cluster() + " REJECTED: " + rejected.reasons());
            return Optional.of(reply(event, EventTypes.CSR_REJECTED, rejected.cluster(), "meshfed/pki", rejected)
                    .build());
        };
    }

    /** The bridge re-reads the cluster the event names; the event's data is not trusted. */
    static Subscriber xdsBridge(CatalogFeed feed) {
        return event -> {
            JsonNode data = tree(event);
            String name = event.getSubject();
            if (name == null && data != null) {
                name = data.path("cluster").isTextual() ? data.get("cluster").asText() : data.path("name").asText(null);
            }
            feed.refresh(cluster(null, name, "subject"));
            return Optional.empty();
        };
    }

    private static String cluster(String subject, String fromData, String field) {
        if (subject != null && fromData != null && !subject.equals(fromData)) {
            throw new BadEventException(field, "names cluster '" + fromData + "' but the subject is '" + subject + "'");
        }
        String name = fromData != null ? fromData : subject;
        if (name == null) {
            throw new BadEventException("subject", "is required: the name of the cluster (or give " + field + ")");
        }
        String named = fromData != null ? field : "subject";
        Rules.dns1123Label(name).ifPresent(p -> {
            throw new BadEventException(named, "is not a cluster name: " + p);
        });
        return name;
    }

    static JsonNode tree(CloudEvent event) {
        if (event.getData() == null || event.getData().toBytes().length == 0) {
            return null;
        }
        try {
            return ModelJson.mapper().readTree(event.getData().toBytes());
        } catch (java.io.IOException e) {
            throw new BadEventException("data", "is not valid JSON: " + (e instanceof JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()));
        }
    }

    /** Strict, as the functions read: unknown fields and wrong types are errors naming the field. */
    static <T> T read(CloudEvent event, Class<T> type) {
        JsonNode data = tree(event);
        if (data == null || data.isNull()) {
            return null;
        }
        try {
            return ModelJson.mapper().treeToValue(data, type);
        } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName()
                    : "[" + r.getIndex() + "]").reduce((a, b) -> a + "." + b).orElse("");
            throw new BadEventException("data" + (path.isEmpty() ? "" : "." + path), e.getOriginalMessage());
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new BadEventException("data", e.getMessage());
        }
    }

    static CloudEventBuilder reply(CloudEvent request, String type, String subject, String source, Object data) {
        byte[] json;
        try {
            json = ModelJson.mapper().writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("reply data always serializes", e);
        }
        CloudEventBuilder b = CloudEventBuilder.v1().withId(request.getId() + "/" + type.substring(EventTypes.PREFIX.length()))
                .withType(type).withSource(URI.create(source)).withDataContentType("application/json").withData(json);
        if (subject != null) {
            b.withSubject(subject);
        }
        return b;
    }
}
