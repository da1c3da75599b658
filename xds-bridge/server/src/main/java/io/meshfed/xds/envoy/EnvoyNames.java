package io.meshfed.xds.envoy;

import io.meshfed.model.ExportedService;

/**
 * Names of the Envoy resources of an exported service port. The host is the MCS name
 * {@code <svc>.<ns>.svc.clusterset.local}; clusters and endpoint sets follow Istio's {@code outbound|port||host};
 * listeners and route configurations are {@code host:port}, the target a proxyless gRPC client dials as
 * {@code xds:///host:port}.
 *
 * <p>When a remote cluster's gateway is known only by name, {@code outbound|port||host} is the aggregate cluster
 * clients route to, and its members use the subset slot of Istio's form: {@code outbound|port|eds|host} for the
 * EDS cluster (whose endpoint set keeps the name {@code outbound|port||host}) and
 * {@code outbound|port|gateway-<cluster>|host} for the remote cluster's gateway resolved by DNS.
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

    /** The EDS member of the aggregate cluster {@link #cluster}; its endpoint set is still {@link #cluster}'s name. */
    public static String edsMember(String host, int port) {
        return "outbound|" + port + "|eds|" + host;
    }

    /** The LOGICAL_DNS member of the aggregate cluster {@link #cluster} for {@code cluster}'s gateway. */
    public static String gatewayMember(String host, int port, String cluster) {
        return "outbound|" + port + "|gateway-" + cluster + "|" + host;
    }

    public static String listener(String host, int port) {
        return host + ":" + port;
    }
}
