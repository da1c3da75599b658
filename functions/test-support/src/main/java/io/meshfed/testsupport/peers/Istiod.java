package io.meshfed.testsupport.peers;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real istiod ({@code pilot-discovery discovery}) for one simulated workload cluster, outside any cluster: it reads
 * its cluster's {@link KubeApiServer} through a kubeconfig, takes its mesh config from a file (where meshfed's bridge
 * is named as an {@code xds://} config source), and listens on loopback ports of its own. Ready when {@code /ready}
 * answers 200, which istiod does only once every config source answered every type it asked for.
 *
 * <p>With {@code USE_REMOTE_CERTS=true} istiod loads the plug-in CA from the {@code istio-system/cacerts} Secret of
 * its API server (as an external istiod does); without that Secret it makes a self-signed root.
 */
public final class Istiod implements AutoCloseable {
    private final String cluster;
    private final PeerProcess process;
    private final int httpPort;
    private final int grpcPort;
    private final int secureGrpcPort;
    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private Istiod(String cluster, PeerProcess process, int httpPort, int grpcPort, int secureGrpcPort, Path dir) {
        this.cluster = cluster;
        this.process = process;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
        this.secureGrpcPort = secureGrpcPort;
        this.dir = dir;
    }

    /**
     * What to start.
     *
     * @param meshConfig the mesh config YAML (configSources, trustDomain, ...)
     * @param env extra environment (feature flags); POD_NAME, POD_NAMESPACE and REVISION are set here
     */
    public record Settings(String cluster, Peers.IstioVersion version, KubeApiServer apiServer, String meshConfig,
            Map<String, String> env) {
        public Settings {
            env = Map.copyOf(env);
        }
    }

    public static Istiod start(Settings s) {
        try {
            Path dir = Files.createTempDirectory("meshfed-istiod-" + s.cluster());
            Files.writeString(dir.resolve("mesh.yaml"), s.meshConfig());
            Files.writeString(dir.resolve("meshNetworks.yaml"), "networks: {}\n");
            int http = PeerProcess.freePort();
            int grpc = PeerProcess.freePort();
            int secure = PeerProcess.freePort();
            List<String> cmd = List.of(s.version().binary().toString(), "discovery",
                    "--kubeconfig=" + s.apiServer().kubeconfig(),
                    "--meshConfig=" + dir.resolve("mesh.yaml"),
                    "--networksConfig=" + dir.resolve("meshNetworks.yaml"),
                    "--clusterID=" + s.cluster(), "--domain=cluster.local",
                    "--httpAddr=127.0.0.1:" + http, "--grpcAddr=127.0.0.1:" + grpc,
                    "--secureGRPCAddr=127.0.0.1:" + secure, "--httpsAddr=127.0.0.1:" + PeerProcess.freePort(),
                    "--monitoringAddr=127.0.0.1:" + PeerProcess.freePort(),
                    "--ctrlz_port=" + PeerProcess.freePort(), "--ctrlz_address=127.0.0.1",
                    "--keepaliveMaxServerConnectionAge=30m",
                    "--log_output_level=default:info,ads:info,adsc:info,model:info");
            Map<String, String> env = new LinkedHashMap<>();
            env.put("POD_NAME", "istiod-" + s.cluster());
            env.put("POD_NAMESPACE", "istio-system");
            env.put("REVISION", "default");
            env.put("PILOT_DEBOUNCE_AFTER", "50ms");
            env.put("PILOT_DEBOUNCE_MAX", "1s");
            env.putAll(s.env());
            PeerProcess p = PeerProcess.start("istiod-" + s.cluster() + "-" + s.version().key() + "-" + http, cmd, dir, env);
            Istiod istiod = new Istiod(s.cluster(), p, http, grpc, secure, dir);
            p.awaitReady("ready (/ready)", Duration.ofSeconds(120), istiod::isReady);
            return istiod;
        } catch (IOException e) {
            throw new PeerException("cannot prepare istiod for " + s.cluster() + ": " + e.getMessage(), e);
        }
    }

    boolean isReady() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** GET on istiod's debug/HTTP port, e.g. {@code /debug/configz}; fails on a status other than 200. */
    public String get(String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new PeerException("istiod " + cluster + " answered " + r.statusCode() + " to " + path + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new PeerException("istiod " + cluster + " did not answer " + path + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerException("interrupted", e);
        }
    }

    public String cluster() {
        return cluster;
    }

    /** Plaintext xDS (15010 in a cluster): proxies and proxyless gRPC clients. */
    public int grpcPort() {
        return grpcPort;
    }

    /** TLS xDS and the CA service (15012 in a cluster). */
    public int secureGrpcPort() {
        return secureGrpcPort;
    }

    public int httpPort() {
        return httpPort;
    }

    /** istiod's working directory ({@code ./etc/cacerts} lives here with USE_REMOTE_CERTS). */
    public Path workDir() {
        return dir;
    }

    public PeerProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
        TempDirs.delete(dir);
    }
}
