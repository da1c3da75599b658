package io.meshfed.local;

import io.meshfed.xds.debug.ConfigDump;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.meshfed.export.CatalogSync;
import io.meshfed.export.Fabric8WorkloadReader;
import io.meshfed.federation.FederationConfig;
import io.meshfed.federation.IstioFederationTranslator;
import io.meshfed.model.EventTypes;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.ModelJson;
import io.meshfed.model.policy.PolicyStatus;
import io.meshfed.policy.PolicyConfig;
import io.meshfed.pki.agent.AgentSettings;
import io.meshfed.pki.agent.CaCerts;
import io.meshfed.pki.agent.CsrAgent;
import io.meshfed.pki.agent.FileCaCertsStore;
import io.meshfed.pki.agent.HttpCsrClient;
import io.meshfed.pki.agent.ProjectedTokenFile;
import io.meshfed.pki.audit.FileAuditStore;
import io.meshfed.pki.authn.KubernetesTokenReviewer;
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CaStore;
import io.meshfed.pki.ca.FileCaStore;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.RootCa;
import io.meshfed.pki.signing.CryptoProviders;
import io.meshfed.pki.signing.CsrChecks;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.IntermediateSigner;
import io.meshfed.pki.signing.SigningPolicy;
import io.meshfed.registration.ClusterRegistry;
import io.meshfed.registration.HttpApiServerProbe;
import io.meshfed.store.FileCatalogStore;
import io.meshfed.store.FileClusterStore;
import io.meshfed.store.FilePolicyStore;
import io.meshfed.store.WorkloadClusterClients;
import io.meshfed.workloadevents.WorkloadEventGate;
import io.meshfed.xds.app.CatalogFeed;
import io.meshfed.xds.cache.SnapshotCache;
import io.meshfed.xds.envoy.EnvoyPolicy;
import io.meshfed.xds.envoy.EnvoyTranslator;
import io.meshfed.xds.mcp.FederationMcpTranslator;
import io.meshfed.xds.protocol.AdsListener;
import io.meshfed.xds.protocol.AdsServer;
import io.meshfed.xds.protocol.AdsTls;
import io.meshfed.xds.protocol.ClusterIdentifier;
import io.meshfed.xds.protocol.ConnectedClients;
import io.meshfed.xds.protocol.XdsMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * meshfed in one process: the registration, export and PKI domain services on file stores under one state
 * directory, the xDS bridge fed from the same stores, an in-process broker routed by the Knative Trigger files, its
 * CloudEvents HTTP ingress, one HTTPS Kubernetes API per example cluster, and one CSR agent per cluster writing its
 * {@code cacerts} into a directory. Everything that changes state goes through the broker, as on Knative.
 *
 * <p>State directory layout: {@code clusters/}, {@code credentials/} (0600), {@code catalogs/}, {@code pki/ca.json}
 * (root key, 0600), {@code pki/audit/}, {@code tokens/<cluster>/token} (the agent's, 0600), {@code cacerts/<cluster>/},
 * {@code policies/} (TrafficPolicy and AccessPolicy files people write; {@code policies/status/}, the bridge's).
 * A restart reloads all of it.
 */
public final class LocalMesh implements AutoCloseable {
    /**
     * Where everything lives and listens. Port 0 picks a free port. {@code syncInterval} null: no periodic sync.
     *
     * @param xdsTls mutual TLS on the xDS port (client certificates required, naming each cluster); null for
     *     plaintext h2c, which the bridge serves to loopback clients only
     * @param xdsMaxStreamsPerCluster the most xDS streams one cluster may hold open
     */
    public record Settings(Path stateDir, Path triggersDir, String host, int brokerPort, int xdsPort,
            List<ExampleCluster> examples, Duration syncInterval, AdsTls xdsTls, int xdsMaxStreamsPerCluster) {
        public Settings {
            examples = List.copyOf(examples);
        }

        /** The default cap of streams per cluster. */
        public Settings(Path stateDir, Path triggersDir, String host, int brokerPort, int xdsPort,
                List<ExampleCluster> examples, Duration syncInterval, AdsTls xdsTls) {
            this(stateDir, triggersDir, host, brokerPort, xdsPort, examples, syncInterval, xdsTls,
                    AdsServer.DEFAULT_MAX_STREAMS_PER_CLUSTER);
        }

        /** Plaintext xDS (loopback clients only). */
        public Settings(Path stateDir, Path triggersDir, String host, int brokerPort, int xdsPort,
                List<ExampleCluster> examples, Duration syncInterval) {
            this(stateDir, triggersDir, host, brokerPort, xdsPort, examples, syncInterval, null);
        }
    }

    /** istiod's config-source domain in local mode: cluster X's istiod dials {@code X.xds.meshfed.local}. */
    public static final String XDS_HOST_DOMAIN = "xds.meshfed.local";

    private final Settings settings;
    private final Consumer<String> progress;
    private final Vertx vertx = Vertx.vertx();
    /**
     * TokenReviews on each workload cluster's API server with the credentials it was registered with, as on Knative:
     * for the PKI's CSR agents and for the workload-events entry alike.
     */
    private final KubernetesTokenReviewer tokenReviewer = new KubernetesTokenReviewer(new WorkloadClusterClients(
            new VertxHttpClientFactory(vertx), Duration.ofSeconds(2), Duration.ofSeconds(5)));
    private final Map<String, WorkloadApiServer> apiServers = new LinkedHashMap<>();
    private final Map<String, ExampleCluster> examples = new LinkedHashMap<>();
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, r -> {
        Thread t = new Thread(r, "meshfed-timers");
        t.setDaemon(true);
        return t;
    });
    private final IstioFederationTranslator translator = new IstioFederationTranslator();
    private final FileClusterStore clusters;
    private final FilePolicyStore policies;
    private final CatalogFeed feed;
    private final SnapshotCache cache = new SnapshotCache();
    private final XdsMetrics metrics = new XdsMetrics();
    private final ConnectedClients xdsClients = new ConnectedClients();
    private final LocalBroker broker;
    private AdsListener xds;
    private BrokerEndpoint endpoint;

    private LocalMesh(Settings settings, Consumer<String> progress) {
        this.settings = settings;
        this.progress = progress;
        Path state = settings.stateDir();
        clusters = new FileClusterStore(state);
        FileCatalogStore catalogs = new FileCatalogStore(state);
        ClusterRegistry registry = new ClusterRegistry(clusters, new HttpApiServerProbe(Duration.ofSeconds(5)));
        CatalogSync sync = new CatalogSync(clusters, catalogs,
                new Fabric8WorkloadReader(new VertxHttpClientFactory(vertx), Duration.ofSeconds(2), Duration.ofSeconds(5)),
                Clock.systemUTC());
        EnvoyPolicy policy = new EnvoyPolicy(EnvoyPolicy.DEFAULT.connectTimeout(), EnvoyPolicy.DEFAULT.consecutive5xx(),
                EnvoyPolicy.DEFAULT.ejectionInterval(), EnvoyPolicy.DEFAULT.baseEjectionTime(),
                EnvoyPolicy.DEFAULT.maxEjectionPercent(), EnvoyPolicy.DEFAULT.retryBudgetPercent(),
                EnvoyPolicy.DEFAULT.minRetryConcurrency(), translator.stalenessGrace());
        policies = new FilePolicyStore(state);
        try {
            java.nio.file.Files.createDirectories(policies.directory()); // where people put policy files
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + policies.directory(), e);
        }
        feed = new CatalogFeed(clusters, catalogs, cache, new EnvoyTranslator(policy),
                FederationMcpTranslator.incremental(translator), Clock.systemUTC(), policies, translator);
        Map<String, Subscriber> services = Map.of(
                Functions.REGISTRATION, Functions.registration(registry, progress),
                Functions.EXPORT, rereadingExamples(Functions.export(sync, progress)),
                Functions.PKI, Functions.pki(signingService(state, clusters), progress),
                Functions.XDS_BRIDGE, Functions.xdsBridge(feed));
        broker = new LocalBroker(TriggerTable.load(settings.triggersDir()), services,
                problem -> progress.accept("ERROR " + problem));
    }

    /**
     * The PKI's CA state in {@code stateDir}, generating the root on first use. Before {@link #start}, this is how a
     * caller learns the signing CA (the xDS bridge's client CA: relays' client certificates are issued by it
     * directly) to configure the bridge's mutual TLS with.
     */
    public static CaState pkiState(Path stateDir, Consumer<String> progress) {
        CaStore caStore = new FileCaStore(stateDir.resolve("pki/ca.json"), Clock.systemUTC());
        return caStore.load().orElseGet(() -> {
            progress.accept("generating the root CA (first run) in " + stateDir.resolve("pki/ca.json") + " (mode 0600)");
            return caStore.initialize(CaState.of(RootCa.generate(KeyAlgorithm.ECDSA_P256, "meshfed local root CA",
                    RootCa.DEFAULT_LIFETIME, Clock.systemUTC(), new SecureRandom())));
        });
    }

    /**
     * The workload-events entry, as deployed: each sender's token reviewed by the cluster its event names, for the
     * workload-events audience, as the ApiServerSource identity {@link WorkloadEventGate#DEFAULT_SENDER}.
     */
    private WorkloadEventGate workloadEventGate() {
        return new WorkloadEventGate(clusters, new TokenReviewAuthenticator(clusters, tokenReviewer,
                WorkloadEventGate.DEFAULT_AUDIENCE, ServiceAccountName.parse(WorkloadEventGate.DEFAULT_SENDER),
                Clock.systemUTC(), TokenReviewAuthenticator.DEFAULT_MAX_CACHE_TTL), Clock.systemUTC());
    }

    /** Where workload clusters post their events: {@code POST} with {@code Authorization: Bearer <token>}. */
    public URI workloadEventsUrl() {
        return brokerUrl().resolve(BrokerEndpoint.WORKLOAD_EVENTS_PATH);
    }

    private CsrSigningService signingService(Path state, FileClusterStore clusterStore) {
        CaStore caStore = new FileCaStore(state.resolve("pki/ca.json"), Clock.systemUTC());
        CaState initial = pkiState(state, progress);
        progress.accept("PKI root: " + initial.signer());
        java.security.Provider provider = CryptoProviders.named("jdk");
        // As on Knative: each agent's token is reviewed by its own cluster's API server.
        TokenReviewAuthenticator authenticator = new TokenReviewAuthenticator(clusterStore, tokenReviewer,
                TokenReviewAuthenticator.DEFAULT_AUDIENCE, ServiceAccountName.CSR_AGENT, Clock.systemUTC(),
                TokenReviewAuthenticator.DEFAULT_MAX_CACHE_TTL);
        SigningPolicy policy = SigningPolicy.defaults().withXdsClients(XDS_HOST_DOMAIN,
                SigningPolicy.DEFAULT_XDS_CLIENT_MAX_LIFETIME);
        return new CsrSigningService(authenticator, clusterStore, new CsrChecks(policy, provider),
                new IntermediateSigner(provider, new SecureRandom()),
                () -> caStore.load().orElseThrow(() -> new IllegalStateException(state.resolve("pki/ca.json")
                        + " disappeared while running")),
                new FileAuditStore(state.resolve("pki/audit")), Clock.systemUTC());
    }

    /**
     * Starts the example clusters' API servers, loads the stored state into the bridge, opens the xDS port and the
     * broker's HTTP ingress. Registers nothing: {@link #registerExamples} does.
     */
    public static LocalMesh start(Settings settings, Consumer<String> progress) throws IOException {
        LocalMesh mesh = new LocalMesh(settings, progress);
        try {
            mesh.open();
        } catch (IOException | RuntimeException e) {
            mesh.close();
            throw e;
        }
        return mesh;
    }

    private void open() throws IOException {
        progress.accept("broker routes " + broker.triggers().size() + " Triggers from " + settings.triggersDir());
        for (ExampleCluster example : settings.examples()) {
            WorkloadApiServer api = new WorkloadApiServer(vertx, example);
            apiServers.put(example.cluster().name(), api);
            examples.put(example.cluster().name(), example);
            progress.accept("cluster " + example.cluster().name() + ": API server " + api.url() + " serving "
                    + example.objects().size() + " objects from " + example.directory());
        }
        writeKubeconfig();
        feed.loadAll();
        progress.accept("state " + settings.stateDir() + ": " + clusters.list().size() + " registered clusters loaded");
        AdsServer ads = new AdsServer(cache, settings.xdsTls() == null ? new ClusterIdentifier(XDS_HOST_DOMAIN)
                : new ClusterIdentifier(XDS_HOST_DOMAIN, settings.xdsTls().clientCas()), metrics, xdsClients,
                settings.xdsMaxStreamsPerCluster());
        try {
            HttpServerOptions port = new HttpServerOptions().setHost(settings.host()).setPort(settings.xdsPort());
            if (settings.xdsTls() != null) {
                settings.xdsTls().applyTo(port);
            }
            xds = AdsListener.listen(vertx, ads, port, AdsListener.defaultEventLoops())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while opening the xDS port", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("cannot listen for xDS on " + settings.host() + ":" + settings.xdsPort() + " ("
                    + e.getCause() + "): stop what listens there or pass --xds-port <port>", e);
        }
        progress.accept("xDS bridge (ADS, MCP-over-xDS) on " + settings.host() + ":" + xds.port()
                + (settings.xdsTls() == null ? " (plaintext h2c, loopback clients only)"
                        : " (mutual TLS, client certificates required)"));
        endpoint = new BrokerEndpoint(broker, new ConfigDump(xdsClients, cache, metrics), workloadEventGate(),
                settings.host(), settings.brokerPort(), progress);
        progress.accept("broker accepts CloudEvents on " + brokerUrl() + "; workload clusters' events on "
                + workloadEventsUrl());
        timers.scheduleAtFixedRate(feed::republish, 30, 30, TimeUnit.SECONDS);
        if (settings.syncInterval() != null) {
            long every = settings.syncInterval().toMillis();
            timers.scheduleAtFixedRate(this::periodicSync, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /** The kubeconfig for the example clusters' API servers: one context per cluster, named after it. */
    public Path kubeconfig() {
        return settings.stateDir().resolve("kubeconfig");
    }

    /**
     * Writes {@link #kubeconfig()} (mode 0600: it holds the clusters' tokens), so {@code kubectl --kubeconfig ...
     * --context east get services -A} reads and changes an example cluster as meshfed sees it. Without example
     * clusters (a fleet of real API servers registered by events) there is nothing to write.
     */
    private void writeKubeconfig() throws IOException {
        if (apiServers.isEmpty()) {
            return;
        }
        StringBuilder clustersYaml = new StringBuilder();
        StringBuilder users = new StringBuilder();
        StringBuilder contexts = new StringBuilder();
        for (var entry : apiServers.entrySet()) {
            String name = entry.getKey();
            WorkloadApiServer api = entry.getValue();
            String ca = java.util.Base64.getEncoder().encodeToString(api.caPem().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            clustersYaml.append("- name: ").append(name).append("\n  cluster:\n    server: ").append(api.url())
                    .append("\n    certificate-authority-data: ").append(ca).append('\n');
            users.append("- name: ").append(name).append("\n  user:\n    token: ").append(api.token()).append('\n');
            contexts.append("- name: ").append(name).append("\n  context:\n    cluster: ").append(name)
                    .append("\n    user: ").append(name).append('\n');
        }
        String yaml = "# Written by meshfed local mode at each start: the example clusters' API servers (new ports and\n"
                + "# certificates every start). kubectl --kubeconfig " + kubeconfig() + " --context <cluster> ...\n"
                + "apiVersion: v1\nkind: Config\nclusters:\n" + clustersYaml + "users:\n" + users + "contexts:\n"
                + contexts + "current-context: " + apiServers.keySet().iterator().next() + "\n";
        Path file = kubeconfig();
        java.nio.file.Files.createDirectories(file.getParent());
        Path temp = java.nio.file.Files.createTempFile(file.getParent(), "kubeconfig", ".tmp",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        java.nio.file.Files.writeString(temp, yaml);
        java.nio.file.Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        progress.accept("kubectl for the example clusters: kubectl --kubeconfig " + file + " --context "
                + apiServers.keySet().iterator().next() + " get services -A");
    }

    /** What the per-cluster PingSource does on Knative: a ping naming each registered cluster, through the broker. */
    private void periodicSync() {
        for (var stored : clusters.list()) {
            try {
                broker.publish(CloudEventBuilder.v1().withId(UUID.randomUUID().toString())
                        .withType(PING).withSource(URI.create("meshfed/local/ping"))
                        .withDataContentType("application/json")
                        .withData(("{\"cluster\":\"" + stored.cluster().name() + "\"}").getBytes()).build());
            } catch (RuntimeException e) {
                progress.accept("ERROR periodic sync of " + stored.cluster().name() + ": " + e.getMessage());
            }
        }
    }

    /** The registration request for an example cluster: its API server as served here, with a bearer token. */
    public CloudEvent registrationEvent(String cluster) {
        ExampleCluster example = example(cluster);
        WorkloadApiServer api = apiServers.get(cluster);
        MeshCluster c = example.cluster();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", c.name());
        data.put("network", c.network());
        Map<String, Object> locality = new LinkedHashMap<>();
        locality.put("region", c.locality().region());
        if (c.locality().zone() != null) {
            locality.put("zone", c.locality().zone());
        }
        data.put("locality", locality);
        data.put("eastWestGateway", Map.of("address", c.eastWestGateway().address(), "port", c.eastWestGateway().port()));
        data.put("trustDomain", c.trustDomain());
        data.put("apiAccess", "credentials");
        data.put("apiServer", Map.of("url", api.url(), "caData", api.caPem()));
        data.put("credentials", Map.of("token", api.token()));
        return event(EventTypes.CLUSTER_REGISTRATION_REQUESTED, null, data);
    }

    public static CloudEvent event(String type, String subject, Object data) {
        try {
            CloudEventBuilder b = CloudEventBuilder.v1().withId(UUID.randomUUID().toString()).withType(type)
                    .withSource(URI.create("meshfed/local")).withDataContentType("application/json")
                    .withData(ModelJson.mapper().writeValueAsBytes(data));
            if (subject != null) {
                b.withSubject(subject);
            }
            return b.build();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Registers every example cluster through the broker; returns each registration's reply type by cluster. */
    public Map<String, String> registerExamples() {
        Map<String, String> replies = new LinkedHashMap<>();
        for (String name : examples.keySet()) {
            LocalBroker.Outcome outcome = broker.publish(registrationEvent(name));
            replies.put(name, outcome.replies().isEmpty() ? "none" : outcome.replies().get(0).getType());
        }
        return replies;
    }

    /** Asks the export function to re-read one cluster now (as an ApiServerSource or the CLI would). */
    public LocalBroker.Outcome sync(String cluster) {
        return broker.publish(event(EventTypes.SERVICE_EXPORT_SYNC, cluster, Map.of("cluster", cluster)));
    }

    /**
     * Runs the cluster's CSR agent once against the broker's HTTP ingress, writing {@code cacerts} into
     * {@link #caCertsDir}, then keeps it running on its own schedule (renewal, trust-bundle refresh). The agent reads
     * its token from {@link #agentTokenFile}, where this method puts the one the cluster's API server minted for it,
     * as kubelet projects it into the agent's Pod.
     */
    public Optional<CaCerts> runAgent(String cluster) {
        MeshCluster c = clusters.get(cluster).map(s -> s.cluster())
                .orElseThrow(() -> new ExampleException("cluster " + cluster + " is not registered"));
        FileCaCertsStore store = new FileCaCertsStore(caCertsDir(cluster));
        Path tokenFile = agentTokenFile(cluster);
        try {
            java.nio.file.Files.createDirectories(tokenFile.getParent());
            java.nio.file.Files.writeString(tokenFile, apiServer(cluster).agentToken());
            java.nio.file.Files.setPosixFilePermissions(tokenFile,
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the agent's token to " + tokenFile, e);
        }
        CsrAgent agent = new CsrAgent(AgentSettings.defaults(cluster, c.trustDomain()),
                new HttpCsrClient(brokerUrl(), "meshfed/csr-agent/" + cluster, HttpCsrClient.Encoding.BINARY,
                        Duration.ofSeconds(10)), new ProjectedTokenFile(tokenFile), store, Clock.systemUTC(),
                new Random(), List.of());
        Instant next = agent.reconcile();
        scheduleAgent(agent, next);
        return store.read();
    }

    private void scheduleAgent(CsrAgent agent, Instant next) {
        long delay = Math.max(1000, Duration.between(Instant.now(), next).toMillis());
        timers.schedule(() -> scheduleAgent(agent, agent.reconcile()), delay, TimeUnit.MILLISECONDS);
    }

    /** Where the cluster's CSR agent reads its service-account token (mode 0600). */
    public Path agentTokenFile(String cluster) {
        return settings.stateDir().resolve("tokens").resolve(cluster).resolve("token");
    }

    public Path caCertsDir(String cluster) {
        return settings.stateDir().resolve("cacerts").resolve(cluster);
    }

    /** Exactly what the bridge serves cluster {@code cluster}'s istiod over MCP. */
    public FederationConfig istiodConfig(String cluster) {
        return translator.translate(feed.catalogs(), cluster, Instant.now());
    }

    /**
     * What the fleet's policies add to cluster {@code cluster}'s istiod as of the bridge's last publish, with each
     * policy's status there; empty when no policy is stored.
     */
    public Optional<PolicyConfig> policyConfig(String cluster) {
        return Optional.ofNullable(feed.policyConfigs().get(cluster));
    }

    /** Where policy files go ({@code <state>/policies}); send {@code io.meshfed.policy.changed} after writing one. */
    public Path policyDirectory() {
        return policies.directory();
    }

    /** Every policy's recorded per-cluster statuses, by "Kind/name". */
    public Map<String, List<PolicyStatus>> policyStatuses() {
        return policies.statuses();
    }

    /**
     * {@link #istiodConfig} and {@link #policyConfig} as Kubernetes YAML documents: ServiceEntries, DestinationRules
     * (a policy's merged one in place of federation's), Gateways, WorkloadEntries, VirtualServices,
     * AuthorizationPolicies, EnvoyFilters.
     */
    public String istiodYaml(String cluster) {
        FederationConfig config = istiodConfig(cluster);
        Optional<PolicyConfig> policy = policyConfig(cluster);
        Map<String, HasMetadata> merged = new LinkedHashMap<>();
        policy.ifPresent(p -> p.destinationRules().forEach(dr -> merged.put(dr.getMetadata().getNamespace() + "/"
                + dr.getMetadata().getName(), dr)));
        List<HasMetadata> all = new ArrayList<>();
        all.addAll(config.serviceEntries());
        config.destinationRules().forEach(dr -> all.add(merged.getOrDefault(dr.getMetadata().getNamespace() + "/"
                + dr.getMetadata().getName(), dr)));
        all.addAll(config.gateways());
        all.addAll(config.workloadEntries());
        policy.ifPresent(p -> {
            all.addAll(p.virtualServices());
            all.addAll(p.authorizationPolicies());
            all.addAll(p.envoyFilters());
        });
        return all.stream().map(Serialization::asYaml).collect(Collectors.joining());
    }

    public URI brokerUrl() {
        return URI.create("http://" + (settings.host().contains(":") ? "[" + settings.host() + "]" : settings.host())
                + ":" + endpoint.port() + "/");
    }

    public int xdsPort() {
        return xds.port();
    }

    public LocalBroker broker() {
        return broker;
    }

    public ConnectedClients xdsClients() {
        return xdsClients;
    }

    public XdsMetrics xdsMetrics() {
        return metrics;
    }

    public synchronized List<String> exampleClusters() {
        return List.copyOf(examples.keySet());
    }

    public WorkloadApiServer apiServer(String cluster) {
        WorkloadApiServer api = apiServers.get(cluster);
        if (api == null) {
            throw new ExampleException("no example cluster named " + cluster);
        }
        return api;
    }

    /**
     * The export function as local mode runs it: a sync (on request or by the periodic ping) first re-reads the
     * example's YAML files, so an edited file changes the federation at the next sync without a restart, as a
     * changed workload cluster would.
     */
    private Subscriber rereadingExamples(Subscriber export) {
        return event -> {
            if (EventTypes.SERVICE_EXPORT_SYNC.equals(event.getType()) || PING.equals(event.getType())) {
                String cluster;
                try {
                    cluster = io.meshfed.export.ExportEvents.syncCluster(event.getSubject(),
                            io.meshfed.model.EventData.bytes(event));
                } catch (io.meshfed.model.BadEventException e) {
                    cluster = null; // the export function refuses the event and says why; nothing to re-read
                }
                if (cluster != null && examples.containsKey(cluster)) {
                    rereadExample(cluster);
                }
            }
            return export.handle(event);
        };
    }

    private static final String PING = "dev.knative.sources.ping";

    /**
     * Serves what the example cluster {@code name}'s files hold now. A file that no longer loads is reported and
     * changes nothing (the cluster keeps serving what it served). A changed {@code cluster.yaml} or gateway is
     * registered again, as an operator would re-register a cluster whose gateway moved; a renamed cluster needs a
     * restart.
     */
    synchronized void rereadExample(String name) {
        ExampleCluster before = examples.get(name);
        ExampleCluster now;
        try {
            now = ExampleCluster.load(before.directory());
        } catch (ExampleException e) {
            progress.accept("ERROR " + e.getMessage() + " (still serving what the files held before)");
            return;
        }
        if (!now.cluster().name().equals(name)) {
            progress.accept("ERROR " + before.directory().resolve("cluster.yaml") + ": the cluster's name changed "
                    + "from " + name + " to " + now.cluster().name() + ": restart local mode to rename it");
            return;
        }
        int changed;
        try {
            changed = apiServers.get(name).reload(now);
        } catch (ExampleException e) {
            progress.accept("ERROR " + e.getMessage() + " (still serving what the files held before)");
            return;
        } catch (RuntimeException e) {
            progress.accept("ERROR cluster " + name + ": cannot serve " + before.directory() + ": " + e.getMessage());
            return;
        }
        examples.put(name, now);
        if (changed > 0) {
            progress.accept("cluster " + name + ": re-read " + before.directory() + ": " + changed
                    + " objects created, changed or removed");
        }
        if (!now.cluster().equals(before.cluster())) {
            progress.accept("cluster " + name + ": " + before.directory().resolve("cluster.yaml")
                    + " or its gateway changed: registering it again");
            timers.execute(() -> broker.publish(registrationEvent(name)));
        }
    }

    private synchronized ExampleCluster example(String cluster) {
        ExampleCluster e = examples.get(cluster);
        if (e == null) {
            throw new ExampleException("no example cluster named " + cluster + " (have " + examples.keySet() + ")");
        }
        return e;
    }

    @Override
    public void close() {
        timers.shutdownNow();
        if (endpoint != null) {
            endpoint.close();
        }
        apiServers.values().forEach(WorkloadApiServer::close);
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            progress.accept("closing Vert.x: " + e);
        }
    }
}
