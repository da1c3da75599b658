package io.meshfed.testsupport.peers;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real etcd on loopback (plaintext, loopback only; {@code --unsafe-no-fsync}: a test's data need not survive a
 * power cut), its data in a fresh temporary directory. Several API servers share one etcd under their own prefixes.
 */
public final class Etcd implements AutoCloseable {
    private final PeerProcess process;
    private final String url;
    private final Path dataDir;

    private Etcd(PeerProcess process, String url, Path dataDir) {
        this.process = process;
        this.url = url;
        this.dataDir = dataDir;
    }

    public static Etcd start() {
        Peers peers = Peers.get();
        try {
            Path dir = Files.createTempDirectory("meshfed-etcd");
            int client = PeerProcess.freePort();
            int peer = PeerProcess.freePort();
            String clientUrl = "http://127.0.0.1:" + client;
            String peerUrl = "http://127.0.0.1:" + peer;
            PeerProcess p = PeerProcess.start("etcd-" + client, List.of(peers.binary("etcd.binary").toString(),
                    "--name=meshfed-test", "--data-dir=" + dir.resolve("data"),
                    "--listen-client-urls=" + clientUrl, "--advertise-client-urls=" + clientUrl,
                    "--listen-peer-urls=" + peerUrl, "--initial-advertise-peer-urls=" + peerUrl,
                    "--initial-cluster=meshfed-test=" + peerUrl, "--unsafe-no-fsync",
                    "--listen-metrics-urls=http://127.0.0.1:" + PeerProcess.freePort(),
                    "--log-level=warn"), dir, Map.of());
            Etcd etcd = new Etcd(p, clientUrl, dir);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            p.awaitReady("healthy", Duration.ofSeconds(60), () -> {
                try {
                    return http.send(HttpRequest.newBuilder(URI.create(clientUrl + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString()).body().contains("\"health\":\"true\"");
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            return etcd;
        } catch (IOException e) {
            throw new PeerException("cannot prepare etcd's directory: " + e.getMessage(), e);
        }
    }

    /** The client URL, {@code http://127.0.0.1:port}. */
    public String url() {
        return url;
    }

    public PeerProcess process() {
        return process;
    }

    @Override
    public void close() {
        process.close();
        TempDirs.delete(dataDir);
    }
}
