package io.meshfed.xds.relay;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;

/**
 * What the relay listens on, where the bridge is, and the TLS material it dials the bridge with. Checked when
 * built: a relay listening anywhere but loopback would lend its cluster's certificate to whoever reaches the port.
 *
 * @param listenHost loopback IP literal to listen on, e.g. {@code 127.0.0.1}
 * @param listenPort port to listen on (0 picks a free one)
 * @param bridgeHost the bridge's host name or address, dialed over TLS
 * @param bridgePort the bridge's ADS port
 * @param serverName the name sent as SNI and checked against the bridge's certificate (usually {@code bridgeHost})
 * @param certFile PEM client certificate chain (leaf first): the one naming this cluster, {@code <cluster>.<domain>}
 * @param keyFile PEM private key of {@code certFile}'s leaf
 * @param caFile PEM bundle of meshfed's root(s): the bridge's certificate must chain to one of them
 */
public record RelaySettings(String listenHost, int listenPort, String bridgeHost, int bridgePort, String serverName,
        Path certFile, Path keyFile, Path caFile) {
    /** The relay's port unless configured otherwise: next to the bridge's 15010, free in an istiod pod. */
    public static final int DEFAULT_LISTEN_PORT = 15011;

    public RelaySettings {
        InetAddress listen = listenHost == null ? null : NetUtil.createInetAddressFromIpAddressString(listenHost);
        if (listen == null || !listen.isLoopbackAddress()) {
            throw new RelaySettingsException("the relay must listen on a loopback address (it presents its cluster's"
                    + " client certificate for whoever connects), not '" + listenHost + "'");
        }
        requirePort(listenPort, "listen port", true);
        if (bridgeHost == null || bridgeHost.isBlank()) {
            throw new RelaySettingsException("the bridge's host is required");
        }
        requirePort(bridgePort, "bridge port", false);
        if (serverName == null || serverName.isBlank()) {
            serverName = bridgeHost;
        }
        requireFile(certFile, "client certificate file");
        requireFile(keyFile, "client key file");
        requireFile(caFile, "CA file (meshfed's root bundle)");
    }

    /**
     * From the environment, as a container gets them: {@code MESHFED_RELAY_LISTEN} ({@code host:port}, default
     * {@code 127.0.0.1:15011}), {@code MESHFED_BRIDGE_ADDRESS} ({@code host:port}, required),
     * {@code MESHFED_BRIDGE_SERVER_NAME} (default the bridge's host), {@code MESHFED_RELAY_CERT_FILE},
     * {@code MESHFED_RELAY_KEY_FILE}, {@code MESHFED_RELAY_CA_FILE} (required).
     */
    public static RelaySettings fromEnvironment(Map<String, String> env) {
        HostPort listen = HostPort.parse("MESHFED_RELAY_LISTEN",
                env.getOrDefault("MESHFED_RELAY_LISTEN", "127.0.0.1:" + DEFAULT_LISTEN_PORT));
        HostPort bridge = HostPort.parse("MESHFED_BRIDGE_ADDRESS", required(env, "MESHFED_BRIDGE_ADDRESS"));
        return new RelaySettings(listen.host(), listen.port(), bridge.host(), bridge.port(),
                env.get("MESHFED_BRIDGE_SERVER_NAME"), Path.of(required(env, "MESHFED_RELAY_CERT_FILE")),
                Path.of(required(env, "MESHFED_RELAY_KEY_FILE")), Path.of(required(env, "MESHFED_RELAY_CA_FILE")));
    }

    /**
     * {@code MESHFED_RELAY_SHARDS}: how many sharded config sources the istiod beside it reads (docs/xds-bridge.md,
     * "Sharded config sources"); 0 (the default) for one source. With K, the relay listens on
     * {@code 127.0.K.1} to {@code 127.0.K.K} at the listen port too.
     */
    public static int shardsFromEnvironment(Map<String, String> env) {
        String value = env.getOrDefault("MESHFED_RELAY_SHARDS", "0");
        try {
            int shards = Integer.parseInt(value.trim());
            if (shards == 0 || (shards >= 2 && shards <= 64)) {
                return shards;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new RelaySettingsException("MESHFED_RELAY_SHARDS must be 0 (one source) or 2-64, got '" + value + "'");
    }

    /**
     * {@code MESHFED_RELAY_METRICS_LISTEN}: where {@link RelayMonitor} serves {@code /metrics} and the health paths,
     * {@code host:port} (default {@value RelayMonitor#DEFAULT_LISTEN}: the pod's addresses, for Prometheus). Plain
     * HTTP; it serves counters and UP/DOWN only, so it need not be loopback, but it must differ from the relay's port.
     */
    static HostPort monitorFromEnvironment(Map<String, String> env) {
        HostPort monitor = HostPort.parse("MESHFED_RELAY_METRICS_LISTEN",
                env.getOrDefault("MESHFED_RELAY_METRICS_LISTEN", RelayMonitor.DEFAULT_LISTEN));
        if (NetUtil.createInetAddressFromIpAddressString(monitor.host()) == null) {
            throw new RelaySettingsException("MESHFED_RELAY_METRICS_LISTEN must be an IP address and port, got '"
                    + monitor.host() + "'");
        }
        requirePort(monitor.port(), "metrics port (MESHFED_RELAY_METRICS_LISTEN)", true);
        return monitor;
    }

    /** The same relay listening on {@code host} instead (a sharded source's loopback address). */
    public RelaySettings listeningOn(String host) {
        return new RelaySettings(host, listenPort, bridgeHost, bridgePort, serverName, certFile, keyFile, caFile);
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new RelaySettingsException(name + " is required");
        }
        return value;
    }

    private static void requirePort(int port, String what, boolean zeroAllowed) {
        if (port < (zeroAllowed ? 0 : 1) || port > 65_535) {
            throw new RelaySettingsException("the " + what + " must be " + (zeroAllowed ? "0" : "1") + "-65535, got "
                    + port);
        }
    }

    private static void requireFile(Path file, String what) {
        if (file == null) {
            throw new RelaySettingsException("the " + what + " is required");
        }
    }

    /** {@code host:port}, the host possibly a bracketed IPv6 literal. */
    record HostPort(String host, int port) {
        static HostPort parse(String name, String value) {
            int colon = value.lastIndexOf(':');
            if (colon <= 0 || colon == value.length() - 1) {
                throw new RelaySettingsException(name + " must be host:port, got '" + value + "'");
            }
            String host = value.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                return new HostPort(host, Integer.parseInt(value.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new RelaySettingsException(name + " must be host:port, got '" + value + "'");
            }
        }
    }

    /** Settings that cannot work; the message names the setting and what is wrong with it. */
    public static final class RelaySettingsException extends IllegalArgumentException {
        RelaySettingsException(String message) {
            super(message);
        }
    }
}
