package io.meshfed.wasm.filters.failover;

import io.meshfed.wasm.sdk.ConfigReader;
import java.util.List;
import java.util.Map;

/** Validated configuration of failover-headers; immutable. See docs/wasm-filters.md for each key. */
public final class FailoverHeadersConfig {
    final String localCluster;
    final String localLocality;
    final String callerClusterHeader;
    final String clusterHeader;
    final String localityHeader;
    final String failoverHeader;
    final String attemptsHeader;
    final String attemptCountSource;
    final String[] clusterProperty;
    final String[] localityProperty;
    final String[] addressProperty;
    /** upstream "ip:port" → "cluster" + "|" + "region/zone". */
    final Map<String, String> addressMap;

    private FailoverHeadersConfig(ConfigReader r) {
        localCluster = r.string("localCluster", null);
        localLocality = r.string("localLocality", null);
        callerClusterHeader = r.headerName("callerClusterHeader", "x-meshfed-caller-cluster");
        clusterHeader = r.headerName("clusterHeader", "x-meshfed-upstream-cluster");
        localityHeader = r.headerName("localityHeader", "x-meshfed-upstream-locality");
        failoverHeader = r.headerName("failoverHeader", "x-meshfed-failover");
        attemptsHeader = r.headerName("attemptsHeader", "x-meshfed-attempts");
        attemptCountSource = r.headerName("attemptCountSource", "x-envoy-attempt-count");
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

    private static String[] path(ConfigReader r, String key, List<String> defaultPath) {
        List<String> p = r.strings(key, defaultPath);
        if (p.isEmpty()) {
            throw new io.meshfed.wasm.sdk.InvalidConfigException(key + ": property path must not be empty");
        }
        return p.toArray(new String[0]);
    }

    /** {@code "ip:port": {"cluster": "...", "locality": "region/zone"}} entries. */
    static final class AddressMap {
        private AddressMap() {}

        static Map<String, String> parse(ConfigReader map) {
            return map.entriesOfObjects((address, entry) -> {
                String cluster = entry.string("cluster", null);
                String locality = entry.string("locality", "");
                if (cluster == null || cluster.isEmpty()) {
                    throw new io.meshfed.wasm.sdk.InvalidConfigException("addressMap." + address + ".cluster: required");
                }
                entry.finish();
                return cluster + "|" + locality;
            });
        }
    }
}
