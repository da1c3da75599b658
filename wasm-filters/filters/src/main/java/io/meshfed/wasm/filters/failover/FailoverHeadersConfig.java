package io.meshfed.wasm.filters.failover;

import io.meshfed.wasm.sdk.ConfigReader;
import io.meshfed.wasm.sdk.InvalidConfigException;
import io.meshfed.wasm.sdk.PropertyPath;
import io.meshfed.wasm.sdk.Utf8;
import io.meshfed.wasm.sdk.Utf8String;
import java.util.List;
import java.util.Map;

/** Validated configuration of failover-headers; immutable. See docs/wasm-filters.md for each key. */
public final class FailoverHeadersConfig {
    final String localCluster;
    final String localLocality;
    // Header names and property paths are encoded once here, not per request.
    final Utf8String callerClusterHeader;
    final Utf8String clusterHeader;
    final Utf8String localityHeader;
    final Utf8String failoverHeader;
    final Utf8String attemptsHeader;
    final Utf8String attemptCountSource;
    final PropertyPath clusterProperty;
    final PropertyPath localityProperty;
    final PropertyPath addressProperty;
    /** upstream "ip:port" → the cluster and locality serving there. */
    final Map<String, Upstream> addressMap;

    private FailoverHeadersConfig(ConfigReader r) {
        localCluster = headerValue("localCluster", r.string("localCluster", null));
        localLocality = headerValue("localLocality", r.string("localLocality", null));
        callerClusterHeader = Utf8String.of(r.headerName("callerClusterHeader", "x-meshfed-caller-cluster"));
        clusterHeader = Utf8String.of(r.headerName("clusterHeader", "x-meshfed-upstream-cluster"));
        localityHeader = Utf8String.of(r.headerName("localityHeader", "x-meshfed-upstream-locality"));
        failoverHeader = Utf8String.of(r.headerName("failoverHeader", "x-meshfed-failover"));
        attemptsHeader = Utf8String.of(r.headerName("attemptsHeader", "x-meshfed-attempts"));
        attemptCountSource = Utf8String.of(r.headerName("attemptCountSource", "x-envoy-attempt-count"));
        clusterProperty = path(r, "clusterProperty",
                List.of("xds", "upstream_host_metadata", "filter_metadata", "meshfed", "cluster"));
        localityProperty = path(r, "localityProperty",
                List.of("xds", "upstream_host_metadata", "filter_metadata", "meshfed", "locality"));
        addressProperty = path(r, "addressProperty", List.of("upstream", "address"));
        addressMap = AddressMap.parse(r.object("addressMap"));
        r.finish();
    }

    public static FailoverHeadersConfig parse(byte[] configuration) {
        return new FailoverHeadersConfig(ConfigReader.parse(configuration));
    }

    /** A value that goes into a header as it is: no control characters. */
    static String headerValue(String key, String v) {
        if (v != null) {
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c < 0x20 || c == 0x7F) {
                    throw new InvalidConfigException(key + ": control characters cannot go into a header");
                }
            }
        }
        return v;
    }

    private static PropertyPath path(ConfigReader r, String key, List<String> defaultPath) {
        List<String> p = r.strings(key, defaultPath);
        if (p.isEmpty()) {
            throw new InvalidConfigException(key + ": property path must not be empty");
        }
        return PropertyPath.of(p.toArray(new String[0]));
    }

    /** Where an {@code addressMap} entry says an upstream address serves: cluster (non-empty) and locality. */
    static final class Upstream {
        final byte[] cluster;
        final byte[] locality;

        Upstream(String cluster, String locality) {
            this.cluster = Utf8.encode(cluster);
            this.locality = Utf8.encode(locality);
        }
    }

    /** {@code "ip:port": {"cluster": "...", "locality": "region/zone"}} entries. */
    static final class AddressMap {
        private AddressMap() {}

        static Map<String, Upstream> parse(ConfigReader map) {
            return map.entriesOfObjects((address, entry) -> {
                String cluster = entry.string("cluster", null);
                String locality = entry.string("locality", "");
                if (cluster == null || cluster.isEmpty()) {
                    throw new InvalidConfigException("addressMap." + address + ".cluster: required");
                }
                headerValue("addressMap." + address + ".cluster", cluster);
                headerValue("addressMap." + address + ".locality", locality);
                entry.finish();
                return new Upstream(cluster, locality);
            });
        }
    }
}
