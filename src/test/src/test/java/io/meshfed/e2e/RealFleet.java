package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cloudevents.CloudEvent;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.e2e.CloudEventsHttp.Answer;
import io.meshfed.e2e.CloudEventsHttp.Mode;
import io.meshfed.local.ExampleCluster;
import io.meshfed.local.LocalMesh;
import io.meshfed.model.ModelJson;
import io.meshfed.pki.agent.AgentSettings;
import io.meshfed.pki.agent.CsrAgent;
import io.meshfed.pki.agent.HttpCsrClient;
import io.meshfed.pki.agent.KubernetesCaCertsStore;
import io.meshfed.pki.agent.KubernetesXdsClientStore;
import io.meshfed.pki.agent.XdsClientAgent;
import io.meshfed.pki.ca.FileCaStore;
import io.meshfed.pki.ca.Pems;
import io.meshfed.testsupport.peers.Etcd;
import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerTls;
import io.meshfed.testsupport.peers.Peers;
import io.meshfed.xds.protocol.AdsTls;
import io.meshfed.xds.relay.RelaySettings;
import io.meshfed.xds.relay.XdsRelay;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A fleet of real programs for the real-Istio tests: one etcd, one real kube-apiserver per workload cluster, and
 * meshfed's local mode (registration, export, PKI, xDS bridge with mutual TLS on its ADS port) registered with those
 * API servers through CloudEvents. Each cluster's istiod dials its own xDS relay on loopback in plaintext, as it
 * would in its pod; the relay dials the bridge over TLS with that cluster's client certificate, which is all that
 * names the cluster to the bridge. That certificate is meshfed's own: each cluster's CSR agent, as its
 * ServiceAccount (RBAC of {@code knative/workload/csr-agent.yaml}) and with its projected token, has the PKI issue
 * it and writes Secret {@code istio-system/meshfed-xds-client} on the cluster's real API server; the relay reads
 * the files of that Secret, as the kubelet would mount them. The bridge's client CA is the PKI's signing CA. Workload objects are ordinary Kubernetes YAML written to the real API servers; export
 * reads them with the least-privilege reader ServiceAccount shipped in {@code knative/workload/}.
 *
 * <p>Clusters: {@code east} (us-east/us-east-a) and {@code west} (us-west/us-west-a) on one flat network
 * {@code net-flat}, each exporting {@code demo/echo} (gRPC) with one pod at the address and port given. With remote
 * networks: {@code north} (eu-north/eu-north-a) on network {@code net-north}, whose east-west gateway is known only
 * by a DNS name, exporting {@code shop/cart}; {@code south} (sa-south/sa-south-a) on network {@code net-south}, its
 * gateway at {@value #SOUTH_GATEWAY}, exporting {@code shop/orders}. istiods are started per test with
 * {@link #startIstiod}.
 */
final class RealFleet implements AutoCloseable {
    static final String NORTH_GATEWAY = "gw.north.e2e.meshfed.example";
    static final String SOUTH_GATEWAY = "198.51.100.4";
    /** The bridge's name in its certificate, which each relay checks (as SNI) when it dials the bridge. */
    static final String BRIDGE_NAME = "bridge." + LocalMesh.XDS_HOST_DOMAIN;

    private final Path dir;
    private final Etcd etcd;
    private final Map<String, KubeApiServer> apiServers = new LinkedHashMap<>();
    private final LocalMesh mesh;
    private final CloudEventsHttp events;
    /** Runs the relays, as each istiod's pod would run its relay container. */
    private final Vertx relayVertx = Vertx.vertx();
    private final Map<String, XdsRelay> relays = new LinkedHashMap<>();
    /** Per cluster, the relay's certificate directory (as mounted) and the CA it verifies the bridge with. */
    private final Map<String, Path> clientDirs = new LinkedHashMap<>();
    private Path bridgeCa;
    private final List<String> progress = new ArrayList<>();

    private RealFleet(Path dir, FlatExample.Pod east, FlatExample.Pod west, boolean remoteNetworks) throws IOException {
        this.dir = dir;
        Peers peers = Peers.get();
        etcd = Etcd.start();
        try {
            for (String cluster : remoteNetworks ? List.of("east", "west", "north", "south") : List.of("east", "west")) {
                KubeApiServer api = KubeApiServer.start(cluster, etcd);
                apiServers.put(cluster, api);
                api.apply(peers.file("mcs.crds"));
                api.apply(peers.istio().crds());
                api.apply(Path.of(System.getProperty("meshfed.workload-manifests", "../../knative/workload"))
                        .resolve("export-reader.yaml"));
            }
            seed("east", "us-east-a", east);
            seed("west", "us-west-a", west);
            if (remoteNetworks) {
                seedRemote("north", "cart", 8080, "10.3.0.8", "eu-north-a");
                seedRemote("south", "orders", 9090, "10.4.0.8", "sa-south-a");
            }
            Path state = dir.resolve("state");
            XdsCredentials xds = XdsCredentials.write(dir, LocalMesh.pkiState(state, line -> { }).signer()
                    .certificate());
            bridgeCa = xds.bridgeCa();
            mesh = LocalMesh.start(new LocalMesh.Settings(state,
                    Path.of(System.getProperty("meshfed.triggers", "../../knative/manifests/eventing/triggers")),
                    "127.0.0.1", 0, 0, List.<ExampleCluster>of(), null, xds.bridge()), line -> {
                        progress.add(line);
                        System.out.println("meshfed: " + line);
                    });
            events = new CloudEventsHttp(mesh.brokerUrl());
            register("east", "net-flat", "us-east", "us-east-a", "198.51.100.1");
            register("west", "net-flat", "us-west", "us-west-a", "198.51.100.2");
            if (remoteNetworks) {
                register("north", "net-north", "eu-north", "eu-north-a", NORTH_GATEWAY);
                register("south", "net-south", "sa-south", "sa-south-a", SOUTH_GATEWAY);
            }
            for (String cluster : apiServers.keySet()) {
                syncExport(cluster);
            }
            for (String cluster : apiServers.keySet()) {
                clientDirs.put(cluster, xdsClientCertificate(cluster));
                relays.put(cluster, startRelay("127.0.0.1", clientDirs.get(cluster), xds.bridgeCa()));
            }
        } catch (IOException | RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * This machine's first non-loopback IPv4 address: where test backends are dialed, since a real API server
     * refuses loopback addresses in EndpointSlices.
     */
    static String hostAddress() throws IOException {
        for (var nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (var a : java.util.Collections.list(nic.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a.getHostAddress();
                }
            }
        }
        throw new IOException("this machine has no non-loopback IPv4 address for test backends");
    }

    /**
     * The bridge's xDS TLS material as files: its mutual TLS (its certificate for {@link #BRIDGE_NAME} from a test
     * CA, and as client CA meshfed's signing CA, which issues the relays' certificates directly) and the CA relays
     * verify the bridge with.
     */
    record XdsCredentials(AdsTls bridge, Path bridgeCa) {
        static XdsCredentials write(Path dir, X509Certificate signingCa) throws IOException {
            PeerTls server = PeerTls.create("meshfed-xds", List.of(BRIDGE_NAME), List.of("127.0.0.1"));
            Path tls = Files.createDirectories(dir.resolve("xds-tls"));
            Files.writeString(tls.resolve("tls.crt"), server.certificatePem() + server.caPem());
            Files.writeString(tls.resolve("tls.key"), server.keyPem());
            Files.writeString(tls.resolve("ca.crt"), server.caPem());
            Files.writeString(tls.resolve("client-ca.crt"), Pems.encode(signingCa));
            return new XdsCredentials(new AdsTls(tls.resolve("tls.crt"), tls.resolve("tls.key"),
                    tls.resolve("client-ca.crt")), tls.resolve("ca.crt"));
        }
    }

    /**
     * The CSR agent's ServiceAccount, Role and RoleBinding from {@code knative/workload/csr-agent.yaml} (not its
     * Deployment: no controller runs here; tests run the agent themselves, as that ServiceAccount).
     */
    void applyCsrAgentRbac(String cluster) throws IOException {
        KubernetesClient admin = apiServers.get(cluster).admin();
        try (var in = Files.newInputStream(Path.of(System.getProperty("meshfed.workload-manifests",
                "../../knative/workload")).resolve("csr-agent.yaml"))) {
            for (HasMetadata o : admin.load(in).items()) {
                if (!(o instanceof io.fabric8.kubernetes.api.model.apps.Deployment)) {
                    admin.resource(o).forceConflicts().serverSideApply();
                }
            }
        }
    }

    /**
     * Has {@code cluster}'s CSR agent obtain its xDS client certificate from meshfed's PKI, as the agent's
     * ServiceAccount on the cluster's real API server (the Role of {@code csr-agent.yaml}), and writes the Secret it
     * stored into a directory as the kubelet would mount it for the relay.
     */
    private Path xdsClientCertificate(String cluster) throws IOException {
        KubeApiServer api = apiServers.get(cluster);
        KubernetesClient admin = api.admin();
        applyCsrAgentRbac(cluster);
        String token = api.serviceAccountToken("istio-system", "meshfed-csr-agent", KubeApiServer.ISSUER,
                Duration.ofHours(1));
        String pkiToken = api.serviceAccountToken("istio-system", "meshfed-csr-agent", "meshfed-pki",
                Duration.ofHours(2));
        try (KubernetesClient asAgent = api.clientWithToken(token)) {
            XdsClientAgent agent = new XdsClientAgent(AgentSettings.defaults(cluster, cluster + ".e2e.meshfed.example"),
                    null, new HttpCsrClient(mesh.brokerUrl(), "meshfed/csr-agent/" + cluster,
                            HttpCsrClient.Encoding.BINARY, Duration.ofSeconds(10)), () -> pkiToken,
                    new KubernetesXdsClientStore(asAgent, "istio-system", KubernetesXdsClientStore.DEFAULT_NAME),
                    java.time.Clock.systemUTC(), new java.util.Random(), List.of());
            agent.reconcile();
            if (agent.failures() != 0) {
                throw new IOException(cluster + ": the CSR agent did not obtain its xDS client certificate; progress "
                        + progress);
            }
        }
        var secret = admin.secrets().inNamespace("istio-system").withName(KubernetesXdsClientStore.DEFAULT_NAME).get();
        Path mounted = Files.createDirectories(dir.resolve("xds-client").resolve(cluster));
        for (var entry : secret.getData().entrySet()) {
            Path file = mounted.resolve(entry.getKey());
            Files.write(file, java.util.Base64.getDecoder().decode(entry.getValue()));
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        return mounted;
    }

    /**
     * Has {@code cluster}'s CSR agent, as its ServiceAccount on the cluster's real API server, obtain the cluster's
     * intermediate from meshfed's PKI and write {@code istio-system/cacerts}: an istiod started with
     * {@code USE_REMOTE_CERTS=true} then issues workload certificates under meshfed's root.
     */
    void installPluginCa(String cluster) throws IOException {
        KubeApiServer api = apiServers.get(cluster);
        applyCsrAgentRbac(cluster);
        String token = api.serviceAccountToken("istio-system", "meshfed-csr-agent", KubeApiServer.ISSUER,
                Duration.ofHours(1));
        String pkiToken = api.serviceAccountToken("istio-system", "meshfed-csr-agent", "meshfed-pki",
                Duration.ofHours(2));
        try (KubernetesClient asAgent = api.clientWithToken(token)) {
            CsrAgent agent = new CsrAgent(AgentSettings.defaults(cluster, cluster + ".e2e.meshfed.example"),
                    new HttpCsrClient(mesh.brokerUrl(), "meshfed/csr-agent/" + cluster, HttpCsrClient.Encoding.BINARY,
                            Duration.ofSeconds(10)), () -> pkiToken,
                    new KubernetesCaCertsStore(asAgent, "istio-system", "cacerts"), java.time.Clock.systemUTC(),
                    new java.util.Random(), List.of());
            agent.reconcile();
        }
        if (api.admin().secrets().inNamespace("istio-system").withName("cacerts").get() == null) {
            throw new IOException(cluster + ": the CSR agent wrote no istio-system/cacerts; progress " + progress);
        }
    }

    /** meshfed's trust bundle as its PKI stores it: the roots every cluster's intermediate chains to. */
    String meshfedRoots() throws IOException {
        return new FileCaStore(dir.resolve("state/pki/ca.json"), java.time.Clock.systemUTC()).load()
                .orElseThrow(() -> new IOException("the PKI stored no CA state")).trustBundlePem();
    }

    /** The relay for one cluster's istiod: loopback plaintext in, mutual TLS with its certificate to the bridge. */
    private XdsRelay startRelay(String listenHost, Path clientDir, Path bridgeCa) throws IOException {
        try {
            return XdsRelay.start(relayVertx, new RelaySettings(listenHost, 0, "127.0.0.1", mesh.xdsPort(), BRIDGE_NAME,
                    clientDir.resolve("tls.crt"), clientDir.resolve("tls.key"), bridgeCa))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted starting an xDS relay", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot start the xDS relay of " + clientDir + ": " + e.getCause(), e);
        }
    }

    /** east and west on one flat network. */
    static RealFleet start(Path dir, FlatExample.Pod east, FlatExample.Pod west) throws IOException {
        return new RealFleet(dir, east, west, false);
    }

    /** east and west on one flat network, north and south on networks of their own. */
    static RealFleet withRemoteNetworks(Path dir, FlatExample.Pod east, FlatExample.Pod west) throws IOException {
        return new RealFleet(dir, east, west, true);
    }

    private void register(String name, String network, String region, String zone, String gateway) throws IOException {
        KubeApiServer api = apiServers.get(name);
        String token = api.serviceAccountToken("meshfed-system", "meshfed-export-reader", KubeApiServer.ISSUER,
                Duration.ofHours(2));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", name);
        data.put("network", network);
        data.put("locality", Map.of("region", region, "zone", zone));
        data.put("eastWestGateway", Map.of("address", gateway, "port", 15443));
        data.put("trustDomain", name + ".e2e.meshfed.example");
        data.put("apiServer", Map.of("url", api.url(), "caData", api.caPem()));
        data.put("credentials", Map.of("token", token));
        try {
            Answer answer = events.send(CloudEventsHttp.event("io.meshfed.cluster.registration.requested", null,
                    ModelJson.mapper().writeValueAsString(data)), Mode.BINARY);
            CloudEvent reply = answer.reply().orElseThrow(() -> new AssertionError("no reply: " + answer.body()));
            assertEquals("io.meshfed.cluster.registered", reply.getType(), answer.replyData());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted registering " + name, e);
        }
    }

    /**
     * Has export read {@code cluster} now and waits for its answer: the catalog is in once this returns (a new one
     * announced with catalog.changed, 200; or unchanged, 202). Anything else fails with the answer's body.
     */
    void syncExport(String cluster) throws IOException {
        try {
            for (int attempt = 1; ; attempt++) {
                Answer sync = events.send(CloudEventsHttp.event("io.meshfed.service.export.sync", cluster, null),
                        Mode.BINARY);
                if (sync.status() == 200 || sync.status() == 202) {
                    return;
                }
                // a just-started API server answers 429 while its storage initializes; export reports it as such
                if (attempt == 30 || !sync.body().contains("throttled")) {
                    throw new AssertionError("export sync of " + cluster + " answered " + sync.status() + ": "
                            + sync.body());
                }
                Thread.sleep(500);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted syncing " + cluster, e);
        }
    }

    /** Namespace demo and {@link FlatExample#echo}: Service echo, its EndpointSlice and Pod, exported via MCS. */
    private void seed(String cluster, String zone, FlatExample.Pod pod) {
        apply(cluster, "apiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n---\n"
                + FlatExample.echo(cluster, zone, pod));
    }

    /** shop/{@code service} (HTTP {@code port} -> port+1), one ready pod; reached from other networks via the gateway. */
    private void seedRemote(String cluster, String service, int port, String podIp, String zone) {
        apply(cluster, """
                apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: %1$s, namespace: shop, labels: {meshfed.io/export: "true"}}
                spec:
                  selector: {app: %1$s}
                  ports: [{name: http, port: %2$d, targetPort: %3$d, appProtocol: http}]
                ---
                apiVersion: discovery.k8s.io/v1
                kind: EndpointSlice
                metadata: {name: %1$s-1, namespace: shop, labels: {kubernetes.io/service-name: %1$s}}
                addressType: IPv4
                ports: [{name: http, port: %3$d, protocol: TCP}]
                endpoints:
                  - addresses: ["%4$s"]
                    conditions: {ready: true}
                    zone: %5$s
                """.formatted(service, port, port + 1, podIp, zone));
    }

    void apply(String cluster, String yaml) {
        KubernetesClient client = apiServers.get(cluster).admin();
        for (HasMetadata o : client.load(new java.io.ByteArrayInputStream(yaml.getBytes(
                java.nio.charset.StandardCharsets.UTF_8))).items()) {
            if (o instanceof io.fabric8.kubernetes.api.model.Namespace) {
                client.resource(o).serverSideApply();
            } else {
                client.resource(o).forceConflicts().serverSideApply();
            }
        }
    }

    /**
     * istiod's mesh config naming its relay as its {@code xds://} source (loopback, plaintext: istiod's config-source
     * client cannot present a client certificate; the relay does) beside its own API server ({@code k8s://}).
     */
    String meshConfig(String cluster) {
        return """
                trustDomain: %s.e2e.meshfed.example
                rootNamespace: istio-system
                configSources:
                  - address: xds://127.0.0.1:%d
                  - address: k8s://
                """.formatted(cluster, relays.get(cluster).port());
    }

    /**
     * istiod of {@code cluster} reading meshfed over {@code shards} config sources, {@code xds://127.0.<shards>.<k>}
     * (one relay each, on that loopback address), beside its own API server: the documented sharded snippet.
     */
    Istiod startShardedIstiod(String cluster, Peers.IstioVersion version, int shards) throws IOException {
        return startShardedIstiod(cluster, version, shards, Map.of());
    }

    Istiod startShardedIstiod(String cluster, Peers.IstioVersion version, int shards, Map<String, String> env)
            throws IOException {
        StringBuilder sources = new StringBuilder();
        for (int k = 1; k <= shards; k++) {
            // stopped with the fleet's other relays
            XdsRelay relay = startRelay("127.0." + shards + "." + k, clientDirs.get(cluster), bridgeCa);
            sources.append("  - address: xds://127.0.").append(shards).append('.').append(k).append(':')
                    .append(relay.port()).append('\n');
        }
        String meshConfig = """
                trustDomain: %s.e2e.meshfed.example
                rootNamespace: istio-system
                configSources:
                %s  - address: k8s://
                """.formatted(cluster, sources);
        return Istiod.start(new Istiod.Settings(cluster, version, apiServers.get(cluster), meshConfig, env));
    }

    Istiod startIstiod(String cluster, Peers.IstioVersion version, Map<String, String> env) {
        return Istiod.start(new Istiod.Settings(cluster, version, apiServers.get(cluster), meshConfig(cluster), env));
    }

    KubeApiServer apiServer(String cluster) {
        return apiServers.get(cluster);
    }

    LocalMesh mesh() {
        return mesh;
    }

    CloudEventsHttp events() {
        return events;
    }

    List<String> progress() {
        return List.copyOf(progress);
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        try {
            relayVertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing the rest matters more
        }
        try {
            if (mesh != null) {
                mesh.close();
            }
        } catch (Exception e) {
            // closing the rest matters more
        }
        apiServers.values().forEach(KubeApiServer::close);
        if (etcd != null) {
            etcd.close();
        }
    }
}
