package io.meshfed.wasm.filters.failover;

import io.meshfed.wasm.sdk.Action;
import io.meshfed.wasm.sdk.Failures;
import io.meshfed.wasm.sdk.HeaderMapType;
import io.meshfed.wasm.sdk.HeaderMatches;
import io.meshfed.wasm.sdk.Host;
import io.meshfed.wasm.sdk.HttpContext;
import io.meshfed.wasm.sdk.InvalidConfigException;
import io.meshfed.wasm.sdk.LogLevel;
import io.meshfed.wasm.sdk.RootContext;
import io.meshfed.wasm.sdk.UnsafeValueException;
import io.meshfed.wasm.sdk.Utf8;
import io.meshfed.wasm.sdk.Utf8String;

/**
 * failover-headers: tags each outbound request with the caller's cluster, and each response with the
 * cluster and locality of the upstream host that served it, whether that was a failover away from the
 * caller's own locality, and how many attempts it took.
 *
 * <p>The upstream's identity comes from Envoy properties (endpoint metadata that meshfed's xDS bridge and
 * generated ServiceEntry endpoints carry); when those are absent, the upstream address is looked up in
 * the configured {@code addressMap}. The caller's identity comes from configuration, else from the
 * node's {@code CLUSTER_ID} metadata and locality properties.
 *
 * <p>Fails closed: the headers it owns are removed in every spelling of their names it can see, then set;
 * when anything fails (a property or header the host cannot hand over, a property value with control
 * characters) the owned headers of that direction are removed instead, so an upstream can never pass its
 * own {@code x-meshfed-*} headers through, and the failure is counted and logged ({@link Failures}).
 */
public final class FailoverHeadersFilter extends RootContext {
    static final String UNKNOWN = "unknown";
    static final String FAILURES_METRIC = "meshfed_failover_headers_failures_total";
    /** Longest attempt count read from the response; a longer value is not a count. */
    private static final int MAX_ATTEMPTS_BYTES = 16;
    private static final Utf8String UNKNOWN_UTF8 = Utf8String.of(UNKNOWN);
    private static final Utf8String TRUE = Utf8String.of("true");
    private static final Utf8String FALSE = Utf8String.of("false");
    private static final Utf8String ONE = Utf8String.of("1");

    private FailoverHeadersConfig config;
    // Resolved once per configuration (see resolveIdentity), encoded once for every request after it.
    private Utf8String localCluster = UNKNOWN_UTF8;
    private Utf8String localLocality = Utf8String.of("");
    private boolean identityResolved;
    private Failures failures;
    /** Response headers matched in one read: the four owned ones, then the attempt count source. */
    private Utf8String[] responseNames;
    private Utf8String[] requestNames;

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
        requestNames = new Utf8String[] {parsed.callerClusterHeader};
        responseNames = new Utf8String[] {parsed.clusterHeader, parsed.localityHeader, parsed.failoverHeader,
            parsed.attemptsHeader, parsed.attemptCountSource};
        if (failures == null) {
            failures = new Failures(host, "failover-headers", FAILURES_METRIC);
        }
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
        localCluster = Utf8String.of(config.localCluster != null ? config.localCluster
                : orElse(string(headerSafe("node CLUSTER_ID", host.getProperty("node", "metadata", "CLUSTER_ID"))), UNKNOWN));
        if (config.localLocality != null) {
            localLocality = Utf8String.of(config.localLocality);
        } else {
            String region = orElse(string(headerSafe("node region", host.getProperty("node", "locality", "region"))), "");
            String zone = orElse(string(headerSafe("node zone", host.getProperty("node", "locality", "zone"))), "");
            localLocality = Utf8String.of(zone.isEmpty() ? region : region + "/" + zone);
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
            clearOwned(HeaderMapType.REQUEST_HEADERS,
                    host.matchHeaders(HeaderMapType.REQUEST_HEADERS, root.requestNames, 0), root.requestNames, 1);
            host.replaceHeader(HeaderMapType.REQUEST_HEADERS, c.callerClusterHeader, root.localCluster);
            return Action.CONTINUE;
        }

        @Override
        public Action onRequestHeadersFailed(RuntimeException cause) {
            host.removeHeader(HeaderMapType.REQUEST_HEADERS, root.config.callerClusterHeader);
            root.failures.record("request headers", cause, "caller header removed");
            return Action.CONTINUE;
        }

        @Override
        public Action onResponseHeadersFailed(RuntimeException cause) {
            FailoverHeadersConfig c = root.config;
            host.removeHeader(HeaderMapType.RESPONSE_HEADERS, c.clusterHeader);
            host.removeHeader(HeaderMapType.RESPONSE_HEADERS, c.localityHeader);
            host.removeHeader(HeaderMapType.RESPONSE_HEADERS, c.failoverHeader);
            host.removeHeader(HeaderMapType.RESPONSE_HEADERS, c.attemptsHeader);
            root.failures.record("response headers", cause, "upstream headers removed");
            return Action.CONTINUE;
        }

        /** Leaves at most one lower-case copy of each of the first {@code owned} matched names (see Host#clearOwned). */
        private void clearOwned(HeaderMapType map, HeaderMatches m, Utf8String[] names, int owned) {
            for (int n = 0; n < owned; n++) {
                host.clearOwned(map, m, names, n);
            }
        }

        /**
         * Property values stay UTF-8 bytes from the host to the response headers (no String per request);
         * the outcome is the same as decoding them, see {@link Host#replaceHeader(HeaderMapType, Utf8String,
         * byte[])} and {@link FailoverHeadersFilter#isLocal}.
         */
        @Override
        public Action onResponseHeaders(int headerCount, boolean endOfStream) {
            FailoverHeadersConfig c = root.config;
            root.resolveIdentity();
            HeaderMatches m = host.matchHeaders(HeaderMapType.RESPONSE_HEADERS, root.responseNames, MAX_ATTEMPTS_BYTES);
            clearOwned(HeaderMapType.RESPONSE_HEADERS, m, root.responseNames, 4);
            byte[] cluster = headerSafe("cluster property", nonEmpty(host.getProperty(c.clusterProperty)));
            byte[] locality = headerSafe("locality property", nonEmpty(host.getProperty(c.localityProperty)));
            if (cluster == null || locality == null) {
                String address = string(host.getProperty(c.addressProperty));
                FailoverHeadersConfig.Upstream mapped = address == null ? null : c.addressMap.get(address);
                if (mapped != null) {
                    cluster = cluster != null ? cluster : mapped.cluster;
                    locality = locality != null ? locality : mapped.locality;
                }
            }
            if (cluster != null) {
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.clusterHeader, cluster);
            } else {
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.clusterHeader, UNKNOWN_UTF8);
            }
            boolean known = locality != null && locality.length > 0;
            if (known) {
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.localityHeader, locality);
            } else {
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.localityHeader, UNKNOWN_UTF8);
            }
            boolean failover = known && !root.localLocality.isEmpty() && !root.isLocal(locality);
            host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.failoverHeader, failover ? TRUE : FALSE);
            String attempts = m.count(4) == 0 ? null : m.value(4, 0);
            if (isCount(attempts)) {
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.attemptsHeader, attempts);
            } else {
                host.replaceHeader(HeaderMapType.RESPONSE_HEADERS, c.attemptsHeader, ONE);
            }
            return Action.CONTINUE;
        }
    }

    /** Whether the UTF-8 {@code locality} decodes to the caller's own locality. */
    boolean isLocal(byte[] locality) {
        return Utf8.isAscii(locality) ? localLocality.sameBytes(locality)
                : Utf8.decode(locality).equals(localLocality.toString());
    }

    /**
     * {@code value} when it can be a header value as it is: no control characters (CR and LF would split
     * the header in a host that does not check). Throws otherwise, so the exchange fails closed.
     */
    static byte[] headerSafe(String what, byte[] value) {
        if (value != null) {
            for (byte b : value) {
                if ((b >= 0 && b < 0x20) || b == 0x7F) {
                    throw new UnsafeValueException(what + " holds control character " + b);
                }
            }
        }
        return value;
    }

    static byte[] nonEmpty(byte[] property) {
        return property == null || property.length == 0 ? null : property;
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
