package io.meshfed.export;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Istio's protocol selection for a Kubernetes Service port, so that a service exported through meshfed gets the
 * protocol its own cluster's istiod would give it: {@code appProtocol} first (including the Kubernetes standard
 * names {@code kubernetes.io/h2c}, {@code /ws}, {@code /wss}), then the port name's prefix before the first
 * {@code -} ({@code http-web}, {@code grpc-api}; {@code grpc-web} is matched before splitting).
 *
 * <p>Where Istio would fall back to protocol sniffing (no recognisable name), meshfed answers {@code TCP}:
 * cross-cluster traffic goes through the east-west gateway as mTLS passthrough, where sniffing buys nothing and a
 * wrong guess breaks server-first protocols. Istio's own rule that SMTP, DNS, MySQL and MongoDB ports are never
 * sniffed is therefore subsumed.
 */
public final class ProtocolSelection {
    private static final Map<String, String> BY_NAME = Map.ofEntries(
            Map.entry("http", "HTTP"),
            Map.entry("http_proxy", "HTTP"),
            Map.entry("http2", "HTTP2"),
            Map.entry("https", "HTTPS"),
            Map.entry("grpc", "GRPC"),
            Map.entry("tls", "TLS"),
            Map.entry("tcp", "TCP"),
            Map.entry("udp", "UDP"),
            Map.entry("mongo", "MONGO"),
            Map.entry("redis", "REDIS"),
            Map.entry("mysql", "MYSQL"));

    private static final Map<String, String> KUBERNETES_APP_PROTOCOLS = Map.of(
            "kubernetes.io/h2c", "HTTP2",
            "kubernetes.io/ws", "HTTP",
            "kubernetes.io/wss", "HTTPS");

    /** Transport protocols meshfed cannot carry through an east-west gateway. */
    static final Set<String> UNSUPPORTED_TRANSPORTS = Set.of("SCTP");

    private ProtocolSelection() {
    }

    /**
     * The Istio protocol of a Service port.
     *
     * @param transport the Service port's {@code protocol} (TCP, UDP, SCTP; null means TCP)
     * @param appProtocol the port's {@code appProtocol}, may be null
     * @param portName the port's name, may be null for a single-port Service
     */
    public static String select(String transport, String appProtocol, String portName) {
        if ("UDP".equalsIgnoreCase(transport)) {
            return "UDP";
        }
        String name = appProtocol != null && !appProtocol.isBlank() ? appProtocol : portName;
        if (name == null || name.isBlank()) {
            return "TCP";
        }
        String lower = name.toLowerCase(Locale.ROOT);
        String standard = KUBERNETES_APP_PROTOCOLS.get(lower);
        if (standard != null) {
            return standard;
        }
        if (lower.startsWith("grpc-web")) {
            return "GRPC-WEB";
        }
        int dash = lower.indexOf('-');
        String prefix = dash >= 0 ? lower.substring(0, dash) : lower;
        return BY_NAME.getOrDefault(prefix, "TCP");
    }
}
