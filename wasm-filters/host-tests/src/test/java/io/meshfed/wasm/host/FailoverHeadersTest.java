package io.meshfed.wasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * failover-headers in the third-party host: recorded request/response header sequences, for the Java module and
 * its Go peer (the same filter written with the proxy-wasm Go SDK), each with Chicory's compiler and interpreter.
 */
class FailoverHeadersTest {
    /** Both builds of failover-headers, each in both modes. */
    static Stream<Arguments> builds() {
        return Stream.of(FilterModule.FAILOVER_HEADERS, FilterModule.FAILOVER_HEADERS_GO)
                .flatMap(m -> Stream.of(FilterModule.Mode.values()).map(mode -> Arguments.of(m, mode)));
    }

    static final List<String> CLUSTER = List.of("xds", "upstream_host_metadata", "filter_metadata", "meshfed", "cluster");
    static final List<String> LOCALITY = List.of("xds", "upstream_host_metadata", "filter_metadata", "meshfed", "locality");
    static final List<String> ADDRESS = List.of("upstream", "address");

    static final String CONFIG = """
            {"localCluster": "east", "localLocality": "us-east1/us-east1-b",
             "addressMap": {"10.8.0.5:15443": {"cluster": "west", "locality": "us-west1/us-west1-a"}}}
            """;

    /** Runs one exchange and records "request: ..." and "response: ..." lines with the meshfed headers. */
    static List<String> record(FilterHost host, Exchange exchange, String... upstreamResponse) {
        host.exchange(exchange, upstreamResponse);
        List<String> seen = new ArrayList<>();
        seen.add("request: caller=" + exchange.requestHeaders.get("x-meshfed-caller-cluster"));
        seen.add("response: cluster=" + exchange.responseHeaders.get("x-meshfed-upstream-cluster")
                + " locality=" + exchange.responseHeaders.get("x-meshfed-upstream-locality")
                + " failover=" + exchange.responseHeaders.get("x-meshfed-failover")
                + " attempts=" + exchange.responseHeaders.get("x-meshfed-attempts"));
        return seen;
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("builds")
    void tagsLocalRemoteAndMappedUpstreams(FilterModule module, FilterModule.Mode mode) throws Exception {
        try (FilterHost host = FilterHost.start(module, mode, CONFIG)) {
            List<String> seen = new ArrayList<>();
            // 1: served in the caller's own locality, first attempt.
            seen.addAll(record(host, new Exchange(":path", "/a", ":method", "GET")
                    .property(CLUSTER, "east").property(LOCALITY, "us-east1/us-east1-b"), ":status", "200"));
            // 2: failed over to another cluster's locality on the third attempt.
            seen.addAll(record(host, new Exchange(":path", "/b", ":method", "GET")
                    .property(CLUSTER, "west").property(LOCALITY, "us-west1/us-west1-a"),
                    ":status", "200", "x-envoy-attempt-count", "3"));
            // 3: no endpoint metadata; the upstream address is mapped through the configuration.
            seen.addAll(record(host, new Exchange(":path", "/c").property(ADDRESS, "10.8.0.5:15443"),
                    ":status", "503", "x-envoy-attempt-count", "2"));
            // 4: nothing known about the upstream; a garbage attempt count is not echoed.
            seen.addAll(record(host, new Exchange(":path", "/d").property(ADDRESS, "10.9.9.9:80"),
                    ":status", "200", "x-envoy-attempt-count", "x1"));
            assertEquals(List.of(
                    "request: caller=east",
                    "response: cluster=east locality=us-east1/us-east1-b failover=false attempts=1",
                    "request: caller=east",
                    "response: cluster=west locality=us-west1/us-west1-a failover=true attempts=3",
                    "request: caller=east",
                    "response: cluster=west locality=us-west1/us-west1-a failover=true attempts=2",
                    "request: caller=east",
                    "response: cluster=unknown locality=unknown failover=false attempts=1"), seen);
        }
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("builds")
    void takesOwnIdentityFromNodePropertiesAndCustomHeaderNames(FilterModule module, FilterModule.Mode mode) throws Exception {
        String config = """
                {"callerClusterHeader": "x-from", "clusterHeader": "x-served-by", "failoverHeader": "x-fo",
                 "clusterProperty": ["xds", "upstream_host_metadata", "filter_metadata", "istio", "cluster"]}
                """;
        try (FilterHost host = FilterHost.start(module, mode, config)) {
            Exchange e = new Exchange(":path", "/")
                    .property(List.of("node", "metadata", "CLUSTER_ID"), "cluster-7")
                    .property(List.of("node", "locality", "region"), "eu-west4")
                    .property(List.of("node", "locality", "zone"), "eu-west4-a")
                    .property(List.of("xds", "upstream_host_metadata", "filter_metadata", "istio", "cluster"), "cluster-9")
                    .property(LOCALITY, "eu-west4/eu-west4-a");
            host.exchange(e, ":status", "200");
            assertEquals("cluster-7", e.requestHeaders.get("x-from"));
            assertEquals("cluster-9", e.responseHeaders.get("x-served-by"));
            assertEquals("false", e.responseHeaders.get("x-fo"));
            assertEquals("eu-west4/eu-west4-a", e.responseHeaders.get("x-meshfed-upstream-locality"));
        }
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("builds")
    void carriesNonAsciiPropertyValuesAndReplacesMalformedBytes(FilterModule module, FilterModule.Mode mode) throws Exception {
        String config = "{\"localCluster\": \"z\u00fcrich\", \"localLocality\": \"eu/z\u00fcrich-\u00e4\"}";
        try (FilterHost host = FilterHost.start(module, mode, config)) {
            List<String> seen = new ArrayList<>();
            // Same locality, spelled with non-ASCII characters: not a failover.
            seen.addAll(record(host, new Exchange(":path", "/").property(CLUSTER, "cl\u00fcster-\u6771")
                    .property(LOCALITY, "eu/z\u00fcrich-\u00e4"), ":status", "200"));
            // Malformed UTF-8 (0xFF, a cut-off two-byte sequence) becomes U+FFFD, as a String would carry it.
            seen.addAll(record(host, new Exchange(":path", "/")
                    .property(CLUSTER, new byte[] {'c', (byte) 0xFF, 'x'})
                    .property(LOCALITY, new byte[] {'e', 'u', '/', 'z', (byte) 0xC3}), ":status", "200"));
            assertEquals(List.of(
                    "request: caller=z\u00fcrich",
                    "response: cluster=cl\u00fcster-\u6771 locality=eu/z\u00fcrich-\u00e4 failover=false attempts=1",
                    "request: caller=z\u00fcrich",
                    "response: cluster=c\ufffdx locality=eu/z\ufffd failover=true attempts=1"), seen);
        }
    }
}
