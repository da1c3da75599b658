package io.meshfed.registration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.meshfed.model.BadEventException;
import io.meshfed.model.ModelJson;
import io.meshfed.model.Rules;
import java.util.stream.Collectors;

/**
 * The data of the events the registration function handles, read strictly with the model's mapping (an unknown
 * field or a wrong type is refused naming the field) and checked against the event's subject, before anything is
 * read from or written to the store. Public so every host of the function (the Funqy adapter, local mode) reads
 * events the same way.
 *
 * @throws BadEventException from every method, naming the field that is wrong
 */
public final class RegistrationEvents {
    private RegistrationEvents() {
    }

    /** Data of {@code cluster.registration.requested}; null when the event has none (the registry rejects it). */
    public static RegistrationRequest registration(JsonNode data) {
        return read(data, RegistrationRequest.class);
    }

    /** The cluster a deregistration names: {@code data.name}, a cluster name equal to the subject if one is set. */
    public static String deregistration(String subject, JsonNode data) {
        DeregistrationRequest request = read(data, DeregistrationRequest.class);
        String name = request == null ? null : request.name();
        Rules.dns1123Label(name).ifPresent(problem -> {
            throw new BadEventException("data.name", problem);
        });
        if (subject != null && !subject.equals(name)) {
            throw new BadEventException("subject", "names cluster '" + subject + "' but data.name is '" + name + "'");
        }
        return name;
    }

    private static <T> T read(JsonNode data, Class<T> type) {
        if (data == null || data.isNull() || data.isMissingNode()) {
            return null;
        }
        if (!data.isObject()) {
            throw new BadEventException("data", "must be a JSON object, got " + data.getNodeType().name()
                    .toLowerCase(java.util.Locale.ROOT));
        }
        try {
            return ModelJson.mapper().treeToValue(data, type);
        } catch (JsonMappingException e) {
            throw toBadEvent(e);
        } catch (JsonProcessingException e) {
            throw new BadEventException("data", e.getOriginalMessage(), e);
        }
    }

    /** A Jackson mapping problem as the field it concerns ("data.a.b") and what is wrong with it. */
    static BadEventException toBadEvent(JsonMappingException e) {
        return new BadEventException(path(e), describe(e), e);
    }

    private static String path(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        return path.isEmpty() ? "data" : "data." + path;
    }

    private static String describe(JsonMappingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "is not a known field (known: " + u.getKnownPropertyIds() + ")";
        }
        if (e instanceof InvalidFormatException f) {
            return "expected " + simpleType(f.getTargetType()) + ", got '" + f.getValue() + "'";
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return "expected " + simpleType(m.getTargetType()) + ": " + m.getOriginalMessage();
        }
        return e.getOriginalMessage();
    }

    private static String simpleType(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "an object (" + type.getSimpleName() + ")";
    }
}
