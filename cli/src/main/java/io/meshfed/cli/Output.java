package io.meshfed.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prints command results as an aligned text table for people or as a YAML/JSON document for scripts. The
 * document is the same for both machine formats; the table is derived from it.
 */
final class Output {
    /** The {@code -o} values. */
    enum Format {
        table, yaml, json
    }

    static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    static final ObjectMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build();

    private final Format format;
    private final PrintWriter out;

    Output(Format format, PrintWriter out) {
        this.format = format;
        this.out = out;
    }

    Format format() {
        return format;
    }

    boolean isTable() {
        return format == Format.table;
    }

    PrintWriter out() {
        return out;
    }

    /** Writes {@code document} as YAML or JSON (only called when the format is not a table). */
    void document(JsonNode document) {
        try {
            String text = format == Format.json ? JSON.writeValueAsString(document) : YAML.writeValueAsString(document);
            out.print(text.endsWith("\n") ? text : text + "\n");
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    void line(String text) {
        out.println(text);
        out.flush();
    }

    /** An aligned table: columns two spaces apart, the header in upper case, no trailing spaces. */
    static String table(List<String> headers, List<List<String>> rows) {
        int[] widths = new int[headers.size()];
        List<List<String>> all = new ArrayList<>();
        all.add(headers.stream().map(h -> h.toUpperCase(java.util.Locale.ROOT)).toList());
        all.addAll(rows);
        for (List<String> row : all) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], cell(row, i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                String cell = cell(row, i);
                line.append(cell);
                if (i < widths.length - 1) {
                    line.append(" ".repeat(widths[i] - cell.length() + 2));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    private static String cell(List<String> row, int i) {
        String value = i < row.size() ? row.get(i) : null;
        return value == null || value.isEmpty() ? "-" : value;
    }

    /**
     * A JSON value for a table: scalars become {@code path value} rows; an array of objects becomes its own
     * table (one column per field) under its path, so lists such as rejection reasons stay readable.
     */
    static String flatTable(JsonNode value) {
        List<List<String>> rows = new ArrayList<>();
        List<String> subTables = new ArrayList<>();
        flatten("", value, rows, subTables);
        StringBuilder sb = new StringBuilder();
        if (!rows.isEmpty()) {
            sb.append(table(List.of("field", "value"), rows));
        }
        for (String sub : subTables) {
            sb.append(sb.length() == 0 ? "" : "\n").append(sub);
        }
        return sb.toString();
    }

    private static void flatten(String path, JsonNode node, List<List<String>> rows, List<String> subTables) {
        if (node == null || node.isMissingNode()) {
            return;
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> field = it.next();
                flatten(path.isEmpty() ? field.getKey() : path + "." + field.getKey(), field.getValue(), rows, subTables);
            }
        } else if (node.isArray() && node.size() > 0 && allObjects(node)) {
            Set<String> columns = new LinkedHashSet<>();
            node.forEach(element -> element.fieldNames().forEachRemaining(columns::add));
            List<List<String>> elementRows = new ArrayList<>();
            for (JsonNode element : node) {
                elementRows.add(columns.stream().map(c -> scalar(element.get(c))).toList());
            }
            subTables.add((path.isEmpty() ? "" : path + ":\n") + table(List.copyOf(columns), elementRows));
        } else {
            rows.add(List.of(path.isEmpty() ? "data" : path, scalar(node)));
        }
    }

    private static boolean allObjects(JsonNode array) {
        for (JsonNode element : array) {
            if (!element.isObject()) {
                return false;
            }
        }
        return true;
    }

    /** A scalar as text; a nested structure inside a table cell as compact JSON. */
    static String scalar(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "";
        }
        if (node.isValueNode()) {
            return node.asText();
        }
        if (node.isArray() && allScalars(node)) {
            List<String> parts = new ArrayList<>();
            node.forEach(e -> parts.add(e.asText()));
            return String.join(",", parts);
        }
        return node.toString();
    }

    private static boolean allScalars(JsonNode array) {
        for (JsonNode element : array) {
            if (!element.isValueNode()) {
                return false;
            }
        }
        return true;
    }
}
