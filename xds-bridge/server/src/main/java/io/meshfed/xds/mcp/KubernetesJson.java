package io.meshfed.xds.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bridges the one place where Istio's Kubernetes JSON and proto3 JSON differ: durations. Kubernetes objects carry
 * Go durations ({@code 30ms}, {@code 5m}, {@code 1h30m}); proto3 JSON wants seconds ({@code 0.030s}). Guided by
 * the target message's descriptor, every string in a {@code google.protobuf.Duration} field is rewritten in place.
 */
final class KubernetesJson {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|us|µs|ns|m|s)");

    private KubernetesJson() {
    }

    static void normalizeDurations(JsonNode node, Descriptor type) {
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            FieldDescriptor field = field(type, e.getKey());
            if (field == null || field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
                continue;
            }
            Descriptor fieldType = field.getMessageType();
            if (field.isMapField()) {
                FieldDescriptor value = fieldType.findFieldByName("value");
                if (value.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                    e.getValue().forEach(v -> normalizeDurations(v, value.getMessageType()));
                }
            } else if ("google.protobuf.Duration".equals(fieldType.getFullName())) {
                if (e.getValue().isTextual()) {
                    e.setValue(new TextNode(toProtoDuration(e.getValue().asText())));
                }
            } else if (e.getValue() instanceof ArrayNode array) {
                array.forEach(v -> normalizeDurations(v, fieldType));
            } else {
                normalizeDurations(e.getValue(), fieldType);
            }
        }
    }

    private static FieldDescriptor field(Descriptor type, String jsonName) {
        for (FieldDescriptor f : type.getFields()) {
            if (f.getJsonName().equals(jsonName) || f.getName().equals(jsonName)) {
                return f;
            }
        }
        return null;
    }

    /** A Go duration ("1h30m", "30ms", "10s", "0.5s") as proto3 JSON seconds; other text is returned unchanged. */
    static String toProtoDuration(String go) {
        if (go.isEmpty() || go.equals("0")) {
            return "0s";
        }
        Matcher m = PART.matcher(go);
        BigDecimal seconds = BigDecimal.ZERO;
        int at = 0;
        while (m.find() && m.start() == at) {
            BigDecimal n = new BigDecimal(m.group(1));
            seconds = seconds.add(switch (m.group(2)) {
                case "h" -> n.multiply(BigDecimal.valueOf(3600));
                case "m" -> n.multiply(BigDecimal.valueOf(60));
                case "s" -> n;
                case "ms" -> n.movePointLeft(3);
                case "us", "µs" -> n.movePointLeft(6);
                default -> n.movePointLeft(9);
            });
            at = m.end();
        }
        if (at != go.length()) {
            return go;
        }
        return seconds.stripTrailingZeros().toPlainString() + "s";
    }
}
