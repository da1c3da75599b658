package io.meshfed.export;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ModelJson;
import io.meshfed.model.Rules;
import java.io.IOException;
import java.util.stream.Collectors;

/**
 * The data of the events the export function handles, read strictly (unknown fields are errors) and checked
 * against the event's subject before anything is read or written. Public so every host of the export function
 * (the Funqy adapter, local mode) reads events the same way.
 *
 * @throws BadEventException from every method, naming the field that is wrong
 */
public final class ExportEvents {

    /** Data of {@code io.meshfed.service.export.sync}; optional, the subject alone names the cluster. */
    public record SyncData(String cluster) {
    }

    /** Data of {@code io.meshfed.cluster.registered}, as the registration function sends it. */
    public record ClusterRegisteredData(MeshCluster cluster, Long generation) {
    }

    /** Data of {@code io.meshfed.cluster.deregistered}; {@code existed} is accepted and not used. */
    public record ClusterDeregisteredData(String cluster, Boolean existed) {
    }

    private ExportEvents() {
    }

    /** The cluster a sync names: the subject, or {@code data.cluster}; when both are given they must agree. */
    public static String syncCluster(String subject, byte[] data) {
        SyncData parsed = isEmpty(data) ? null : parse(data, SyncData.class);
        return agree(subject, parsed == null ? null : parsed.cluster(), "data.cluster");
    }

    /** CloudEvents extension naming the cluster on events from an ApiServerSource (set via its ceOverrides). */
    public static final String CLUSTER_EXTENSION = "meshfedcluster";

    /** The cluster an ApiServerSource event is about: its {@value #CLUSTER_EXTENSION} extension. */
    public static String apiServerCluster(java.util.Map<String, String> extensions) {
        String name = extensions == null ? null : extensions.get(CLUSTER_EXTENSION);
        if (name == null || name.isBlank()) {
            throw new BadEventException(CLUSTER_EXTENSION, "is required on ApiServerSource events: set it with the"
                    + " source's spec.ceOverrides.extensions to the name of the watched cluster");
        }
        Rules.dns1123Label(name).ifPresent(problem -> {
            throw new BadEventException(CLUSTER_EXTENSION, "is not a cluster name: " + problem);
        });
        return name;
    }

    /** The cluster and registration generation of a registration; the cluster's name must agree with the subject. */
    public static ClusterRegisteredData registered(String subject, byte[] data) {
        if (isEmpty(data)) {
            throw new BadEventException("data", "is required: {\"cluster\": {...MeshCluster...}, \"generation\": N}");
        }
        ClusterRegisteredData parsed = parse(data, ClusterRegisteredData.class);
        if (parsed.cluster() == null) {
            throw new BadEventException("data.cluster", "is required");
        }
        if (parsed.generation() == null || parsed.generation() < 1) {
            throw new BadEventException("data.generation", "must be a positive integer, got " + parsed.generation());
        }
        agree(subject, parsed.cluster().name(), "data.cluster.name");
        return parsed;
    }

    /** The cluster a deregistration names: the subject, or {@code data.cluster}; both given, they must agree. */
    public static String deregistered(String subject, byte[] data) {
        ClusterDeregisteredData parsed = isEmpty(data) ? null : parse(data, ClusterDeregisteredData.class);
        return agree(subject, parsed == null ? null : parsed.cluster(), "data.cluster");
    }

    private static String agree(String subject, String fromData, String dataField) {
        if (subject != null && fromData != null && !subject.equals(fromData)) {
            throw new BadEventException(dataField, "names cluster '" + fromData + "' but the subject is '"
                    + subject + "'");
        }
        String name = fromData != null ? fromData : subject;
        String field = fromData != null ? dataField : "subject";
        if (name == null) {
            throw new BadEventException("subject", "is required: the name of the cluster (or give " + dataField + ")");
        }
        Rules.dns1123Label(name).ifPresent(problem -> {
            throw new BadEventException(field, "is not a cluster name: " + problem);
        });
        return name;
    }

    private static boolean isEmpty(byte[] data) {
        return data == null || new String(data, java.nio.charset.StandardCharsets.UTF_8).isBlank();
    }

    private static <T> T parse(byte[] data, Class<T> type) {
        try {
            T value = ModelJson.mapper().readValue(data, type);
            if (value == null) {
                throw new BadEventException("data", "must be a JSON object, got null");
            }
            return value;
        } catch (JsonParseException e) {
            throw new BadEventException("data", "is not valid JSON: " + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr(), e);
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause();
            if (cause instanceof InvalidSpecException invalid) {
                throw new BadEventException(path(e), invalid.getMessage(), e);
            }
            if (e instanceof UnrecognizedPropertyException u) {
                throw new BadEventException(path(e), "is not a known field (known: " + u.getKnownPropertyIds() + ")", e);
            }
            throw new BadEventException(path(e), e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new BadEventException("data", "cannot be read: " + e.getMessage(), e);
        }
    }

    private static String path(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return path.isEmpty() ? "data" : "data." + path;
    }
}
