package io.meshfed.model;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One port of an exported service. {@code protocol} is Istio's port protocol (HTTP, HTTP2, GRPC, HTTPS, TLS,
 * TCP, MONGO, REDIS, MYSQL); {@code targetPort} is the port the workloads listen on (for flat networks, where
 * other clusters dial pods directly).
 */
public record ServicePort(String name, int port, String protocol, int targetPort) {
    public static final Set<String> PROTOCOLS =
            Set.of("HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTPS", "TLS", "TCP", "MONGO", "REDIS", "MYSQL", "UDP");

    public ServicePort {
        protocol = protocol == null ? null : protocol.toUpperCase(Locale.ROOT);
        Violations v = new Violations()
                .check("name", Rules.dns1123Label(name))
                .check("port", Rules.port(port))
                .check("targetPort", Rules.port(targetPort))
                .check("protocol", protocol(protocol));
        v.throwIfAny();
    }

    private static Optional<String> protocol(String value) {
        if (value == null || !PROTOCOLS.contains(value)) {
            return Optional.of("must be one of " + new java.util.TreeSet<>(PROTOCOLS) + ", got '" + value + "'");
        }
        return Optional.empty();
    }
}
