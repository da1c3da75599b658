package io.meshfed.model.policy;

import io.meshfed.model.Rules;
import io.meshfed.model.Violations;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Field rules shared by the policy resources: durations as Istio writes them, percentages, cluster lists. */
final class PolicyRules {
    /** Istio's (Go's) duration form restricted to what Envoy honours: "2s", "1.5s", "250ms", "1m30s", "1h". */
    private static final Pattern DURATION = Pattern.compile("((\\d+(\\.\\d+)?)(h|ms|m|s))+");
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s)");

    private PolicyRules() {
    }

    /** The duration in milliseconds, or empty when {@code value} is not one. */
    static Optional<Long> millis(String value) {
        if (value == null || !DURATION.matcher(value).matches()) {
            return Optional.empty();
        }
        BigDecimal total = BigDecimal.ZERO;
        Matcher m = PART.matcher(value);
        while (m.find()) {
            BigDecimal n = new BigDecimal(m.group(1));
            total = total.add(switch (m.group(2)) {
                case "h" -> n.multiply(BigDecimal.valueOf(3_600_000));
                case "m" -> n.multiply(BigDecimal.valueOf(60_000));
                case "s" -> n.multiply(BigDecimal.valueOf(1_000));
                default -> n;
            });
        }
        return Optional.of(total.longValue());
    }

    /** A positive duration of at least one millisecond (Envoy's resolution). */
    static void duration(Violations v, String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                v.add(field, "is required");
            }
            return;
        }
        Optional<Long> ms = millis(value);
        if (ms.isEmpty()) {
            v.add(field, "must be a duration such as '2s', '250ms' or '1m30s', got '" + value + "'");
        } else if (ms.get() < 1) {
            v.add(field, "must be at least 1ms, got '" + value + "'");
        }
    }

    static void percent(Violations v, String field, Double value) {
        if (value == null) {
            v.add(field, "is required");
        } else if (!(value > 0 && value <= 100)) {
            v.add(field, "must be a percentage above 0 and at most 100, got " + value);
        }
    }

    static void clusters(Violations v, String field, List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            v.check(field + "[" + i + "]", Rules.dns1123Label(names.get(i)));
        }
    }
}
