package io.meshfed.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code meshfed config show} against a server answering {@code /debug/config_dump} in the xDS bridge's shape
 * (xds-bridge/app HttpRoutes: Jackson, indented, ISO instants; {@code config_dump.json}).
 */
class ConfigShowTest {
    private HttpServer bridge;
    private final List<String> requested = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private String url;

    @BeforeEach
    void start() throws Exception {
        byte[] dump;
        try (InputStream in = getClass().getResourceAsStream("/config_dump.json")) {
            dump = in.readAllBytes();
        }
        bridge = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        bridge.createContext("/", exchange -> {
            try (exchange) {
                requested.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
                String query = exchange.getRequestURI().getQuery();
                boolean withBodies = query != null && query.contains("resources=true");
                byte[] body = status != 200 ? "{\"field\":\"x\",\"problem\":\"broken\"}".getBytes()
                        : query != null && query.contains("cluster=south") ? SERVED_SOUTH.getBytes()
                        : withBodies ? dump : withoutBodies(dump);
                exchange.getResponseHeaders().add("content-type", "application/json");
                exchange.sendResponseHeaders(status, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        bridge.start();
        url = "http://127.0.0.1:" + bridge.getAddress().getPort() + "/";
    }

    /** The bridge adds each resource's {@code json} only with {@code ?resources=true}. */
    private static byte[] withoutBodies(byte[] dump) throws java.io.IOException {
        var tree = Output.JSON.readTree(dump);
        tree.findParents("json").forEach(parent -> ((com.fasterxml.jackson.databind.node.ObjectNode) parent).remove("json"));
        return Output.JSON.writeValueAsBytes(tree);
    }

    @AfterEach
    void stop() {
        bridge.stop(0);
    }

    @Test
    void showsOneClustersClientsAsTables() {
        Cli.Run run = new Cli().run("--bridge", url, "config", "show", "--cluster", "east");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("GET /debug/config_dump?cluster=east"), requested);
        assertEquals("""
                client stream=7 protocol=SOTW group=east connected=2026-11-26T10:00:00Z
                node sidecar~10.1.0.5~istiod-1.istio-system~istio-system.svc.cluster.local
                TYPE                                    SUBSCRIBED  SENT-VERSION  ACKED-VERSION  SENT  HELD  LAST-NACK
                networking.istio.io/v1/ServiceEntry     *           v3            v3             1     1     -
                networking.istio.io/v1/DestinationRule  *           v3            v2             0     0     v3: outlier detection missing

                TYPE                                 NAME                               VERSION
                networking.istio.io/v1/ServiceEntry  meshfed/cart.shop.svc.west.global  8c1f
                """, run.out());
    }

    @Test
    void resourcesAndMachineFormats() throws Exception {
        Cli cli = new Cli(Map.of("MESHFED_BRIDGE", url), () -> null);

        Cli.Run table = cli.run("config", "show", "--cluster", "east", "--resources");
        Cli.Run json = cli.run("config", "show", "--cluster", "west", "-o", "json");

        assertEquals(0, table.exitCode(), table.err());
        assertEquals("GET /debug/config_dump?cluster=east&resources=true", requested.get(0));
        assertEquals(true, table.out().endsWith("""
                --- networking.istio.io/v1/ServiceEntry meshfed/cart.shop.svc.west.global
                {
                  "metadata" : {
                    "name" : "meshfed/cart.shop.svc.west.global"
                  }
                }
                """), table.out());
        assertEquals(0, json.exitCode(), json.err());
        var document = Output.JSON.readTree(json.out());
        assertEquals("west", document.get("cluster").asText());
        assertEquals(1, document.get("clients").size());
        assertEquals(8, document.get("clients").get(0).get("stream").asInt());
        assertEquals("type.googleapis.com/envoy.config.cluster.v3.Cluster",
                document.get("clients").get(0).get("types").get(0).get("typeUrl").asText());
    }

    /** A bridge holding south's configuration with none of south's clients connected (as in local mode). */
    private static final String SERVED_SOUTH = """
            {"clients": [],
             "served": [
               {"group": "south (istio)", "kind": "istio", "types": [
                 {"typeUrl": "networking.istio.io/v1/ServiceEntry", "resources": [
                   {"name": "demo/echo.clusterset", "version": "a1"}, {"name": "demo/echo.east.global", "version": "b2"}]}]},
               {"group": "south", "kind": "envoy", "types": [
                 {"typeUrl": "type.googleapis.com/envoy.config.cluster.v3.Cluster", "resources": [
                   {"name": "outbound|7070||echo.demo.svc.clusterset.local", "version": "c3"}]}]}],
             "metrics": {}}
            """;

    @Test
    void aClusterWithNoClientConnectedShowsWhatTheBridgeServesIt() throws Exception {
        Cli.Run table = new Cli().run("--bridge", url, "config", "show", "--cluster", "south");
        Cli.Run json = new Cli().run("--bridge", url, "-o", "json", "config", "show", "--cluster", "south");

        assertEquals(0, table.exitCode(), table.err());
        assertEquals("no client of cluster south is connected to the bridge at " + url + "; what it serves them:\n"
                + """
                FOR    TYPE                                 NAME                                           VERSION
                istio  networking.istio.io/v1/ServiceEntry  demo/echo.clusterset                           a1
                istio  networking.istio.io/v1/ServiceEntry  demo/echo.east.global                          b2
                envoy  envoy.config.cluster.v3.Cluster      outbound|7070||echo.demo.svc.clusterset.local  c3
                """, table.out());
        assertEquals(0, json.exitCode(), json.err());
        var document = Output.JSON.readTree(json.out());
        assertEquals(0, document.get("clients").size());
        assertEquals("istio", document.get("served").get(0).get("kind").asText());
    }

    @Test
    void aClusterWithoutClientsAndABrokenBridge() {
        Cli cli = new Cli();

        Cli.Run none = cli.run("--bridge", url, "config", "show", "--cluster", "north");
        status = 500;
        Cli.Run broken = cli.run("--bridge", url, "config", "show", "--cluster", "east");
        Cli.Run missingOption = cli.run("--bridge", url, "config", "show");

        assertEquals(ExitCodes.NOT_FOUND, none.exitCode());
        assertEquals("meshfed: no client of cluster north is connected to the bridge at " + url
                + " (connected clusters: east, west)\n", none.err());
        assertEquals(ExitCodes.REMOTE_FAILURE, broken.exitCode());
        assertEquals("meshfed: " + url + "debug/config_dump?cluster=east answered 500: x broken\n", broken.err());
        assertEquals(ExitCodes.USAGE, missingOption.exitCode());
    }

    @Test
    void theBridgeDefaultsToTheBrokersAddress() {
        Cli cli = new Cli(Map.of("MESHFED_BROKER", url + "some/broker/path"), () -> null);

        Cli.Run run = cli.run("config", "show", "--cluster", "west");

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("GET /debug/config_dump?cluster=west"), requested);
    }
}
