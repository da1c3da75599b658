package io.meshfed.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON mapping of the model: strict on input, deterministic on output (sorted map keys and properties,
 * ISO-8601 instants). Thread-safe; share the instances.
 *
 * <p>Strict means a value is read only from its own JSON type: an unknown property, a number or boolean where a
 * string belongs ({@code {"name": 123}}), a string where a number or boolean belongs ({@code {"port": "15443"}}),
 * a fraction where an integer belongs and {@code null} for a primitive are all errors. Event data is untrusted
 * input (docs/events.md: "an unknown field or a wrong type is answered 400"), and Jackson's default coercions
 * would turn a wrong type into a different, valid-looking request.
 */
public final class ModelJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, text -> text
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .build();

    private ModelJson() {
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    static ObjectWriter canonicalWriter() {
        return MAPPER.writer();
    }
}
