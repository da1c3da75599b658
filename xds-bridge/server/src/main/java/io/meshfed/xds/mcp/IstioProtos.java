package io.meshfed.xds.mcp;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.meshfed.xds.mcp.proto.mcp.Metadata;
import io.meshfed.xds.mcp.proto.mcp.Resource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * fabric8 Istio objects to Istio's own protobuf messages and MCP resources.
 *
 * <p>The fabric8 model and Istio's protos share one JSON form (proto3 JSON names, enum names, duration strings), so
 * a spec is converted by writing it as JSON and parsing that with {@link JsonFormat} into the message, after
 * rewriting Go durations ({@code 30ms}) as proto3 JSON ones ({@code 0.030s}). Unknown
 * fields are refused: a field the translator sets that the bundled protos do not define is an error naming the
 * resource, never a silent loss. Thread-safe.
 */
public final class IstioProtos {
    private static final ObjectMapper JSON = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_NULL);
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();

    private IstioProtos() {
    }

    /**
     * Converts a fabric8 spec into {@code builder}'s message.
     *
     * @throws InvalidIstioResourceException when the spec has a field or value the proto does not accept
     */
    public static <M extends Message> M toProto(Object spec, Message.Builder builder, String what) {
        try {
            com.fasterxml.jackson.databind.JsonNode tree = JSON.valueToTree(spec);
            KubernetesJson.normalizeDurations(tree, builder.getDescriptorForType());
            PARSER.merge(JSON.writeValueAsString(tree), builder);
        } catch (JsonProcessingException | IllegalArgumentException | InvalidProtocolBufferException e) {
            throw new InvalidIstioResourceException(what + " cannot be expressed as "
                    + builder.getDescriptorForType().getFullName() + ": " + e.getMessage(), e);
        }
        @SuppressWarnings("unchecked")
        M m = (M) builder.build();
        return m;
    }

    /** A proto message back into a fabric8 spec class, through the shared JSON form. */
    public static <T> T toFabric8(Message message, Class<T> type) {
        try {
            return JSON.readValue(PRINTER.print(message), type);
        } catch (IOException e) {
            throw new InvalidIstioResourceException("cannot read " + message.getDescriptorForType().getFullName()
                    + " back as " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The MCP resource istiod expects: metadata named "namespace/name" with labels and annotations, a version that
     * is a digest of the body (equal content, equal version), and the body packed as an Any of its Istio type.
     */
    public static Resource mcpResource(HasMetadata object, Message body) {
        ObjectMeta meta = object.getMetadata();
        Metadata.Builder m = Metadata.newBuilder()
                .setName(meta.getNamespace() + "/" + meta.getName())
                .setVersion(digest(body));
        if (meta.getLabels() != null) {
            m.putAllLabels(meta.getLabels());
        }
        if (meta.getAnnotations() != null) {
            m.putAllAnnotations(meta.getAnnotations());
        }
        return Resource.newBuilder().setMetadata(m).setBody(Any.pack(body)).build();
    }

    static String digest(Message body) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CodedOutputStream cos = CodedOutputStream.newInstance(out);
            cos.useDeterministicSerialization();
            body.writeTo(cos);
            cos.flush();
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out.toByteArray()), 0, 8);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("in-memory serialization cannot fail", e);
        }
    }
}
