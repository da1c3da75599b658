package io.meshfed.wasm.filters.failover;

import io.meshfed.wasm.sdk.Action;
import io.meshfed.wasm.sdk.HeaderMapType;
import io.meshfed.wasm.sdk.Host;
import io.meshfed.wasm.sdk.HttpContext;
import io.meshfed.wasm.sdk.InvalidConfigException;
import io.meshfed.wasm.sdk.LogLevel;
import io.meshfed.wasm.sdk.RootContext;
import io.meshfed.wasm.sdk.Utf8;

/**
 * failover-headers: tags each outbound request with the caller's cluster, and each response with the
 * cluster and locality of the upstream host that served it, whether that was a failover away from the
 * caller's own locality, and how many attempts it took.
 *
 * <p>The upstream's identity comes from Envoy properties (endpoint metadata that meshfed's xDS bridge and
 * generated ServiceEntry endpoints carry); when those are absent, the upstream address is looked up in
 * the configured {@code addressMap}. The caller's identity comes from configuration, else from the
 * node's {@code CLUSTER_ID} metadata and locality properties.
 */
public final class FailoverHeadersFilter extends RootContext {
    static final String UNKNOWN = "unknown";

    private FailoverHeadersConfig config;
    private String localCluster = UNKNOWN;
    private String localLocality = "";
    private boolean identityResolved;

    public FailoverHeadersFilter(Host host) {
        super(host);
    }

    @Override
    public boolean onConfigure(byte[] configuration) {
        FailoverHeadersConfig parsed;
        try {
            parsed = FailoverHeadersConfig.parse(configuration);
        } catch (InvalidConfigException e) {
            host.log(LogLevel.ERROR, "failover-headers: rejected configuration: " + e.getMessage());
            return false;
        }
        config = parsed;
        identityResolved = false;
        host.log(LogLevel.INFO, "failover-headers: configured");
        return true;
    }

    /**
     * The caller's own cluster and locality: configured, else the node's CLUSTER_ID metadata and locality.
     * Resolved at the first request rather than at configure time, because not every host exposes node
     * properties while the plugin is being configured.
     */
    private void resolveIdentity() {
        if (identityResolved) {
            return;
        }
        localCluster = config.localCluster != null ? config.localCluster
                : orElse(string(host.getProperty("node", "metadata", "CLUSTER_ID")), UNKNOWN);
        if (config.localLocality != null) {
            localLocality = config.localLocality;
        } else {
            String region = orElse(string(host.getProperty("node", "locality", "region")), "");
            String zone = orElse(string(host.getProperty("node", "locality", "zone")), "");
            localLocality = zone.isEmpty() ? region : region + "/" + zone;
        }
        identityResolved = true;
    }

    @Override
    public HttpContext newHttpContext(int contextId) {
        return new Exchange(host, this);
    }

    static final class Exchange extends HttpContext {
        private final FailoverHeadersFilter root;

        Exchange(Host host, FailoverHeadersFilter root) {
            super(host);
            this.root = root;
        }

        @Override
        public Action onRequestHeaders(int headerCount, boolean endOfStream) {
            FailoverHeadersConfig c = root.config;
            root.resolveIdentity();
            host.replaceHeader(HeaderMapType.REQUEST_HEADERS, c.callerClusterHeader, root.localCluster);
            return Action.CONTINUE;
        }

        @Override
        public Action onResponseHeaders(int headerCount, boolean endOfStream) {
            FailoverHeadersConfig c = root.config;
            root.resolveIdentity();
            String cluster = string(host.getProperty(c.clusterProperty));
            String locality = string(host.getProperty(c.localityProperty));
            if (cluster == null || locality == null) {
                String address = string(host.getProperty(c.addressProperty));
                String mapped = address == null ? null : c.addressMap.get(address);
                if (mapped != null) {
                    int bar = mapped.indexOf('|');
                    cluster = cluster != null ? cluster : mapped.substring(0, bar);
                    locality = locality != null ? locality : mapped.substring(bar + 1);
                }
            }
            cluster = orElse(cluster, UNKNOWN);
            locality = orElse(locality, "");
            host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.clusterHeader, cluster);
            host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.localityHeader, locality.isEmpty() ? UNKNOWN : locality);
            boolean failover = !locality.isEmpty() && !root.localLocality.isEmpty() && !locality.equals(root.localLocality);
            host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.failoverHeader, failover ? "true" : "false");
            String attempts = host.getHeader(HeaderMapType.RESPONSE_HEADERS, c.attemptCountSource);
            host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.attemptsHeader, isCount(attempts) ? attempts : "1");
            return Action.CONTINUE;
        }
    }

    static boolean isCount(String s) {
        if (s == null || s.isEmpty() || s.length() > 4) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    static String string(byte[] property) {
        return property == null || property.length == 0 ? null : Utf8.decode(property);
    }

    static String orElse(String s, String fallback) {
        return s == null || s.isEmpty() ? fallback : s;
    }
}
