package io.meshfed.xds.envoy;

import io.meshfed.model.ExportedService;

/**
 * Names of the Envoy resources of an exported service port. The host is the MCS name
 * {@code <svc>.<ns>.svc.clusterset.local}; clusters and endpoint sets follow Istio's {@code outbound|port||host};
 * listeners and route configurations are {@code host:port}, the target a proxyless gRPC client dials as
 * {@code xds:///host:port}.
 */
public final class EnvoyNames {
    public static final String DOMAIN = "svc.clusterset.local";

    private EnvoyNames() {
    }

    public static String host(ExportedService s) {
        return host(s.namespace(), s.name());
    }

    public static String host(String namespace, String name) {
        return name + "." + namespace + "." + DOMAIN;
    }

    public static String cluster(String host, int port) {
        return "outbound|" + port + "||" + host;
    }

    public static String listener(String host, int port) {
        return host + ":" + port;
    }
}
