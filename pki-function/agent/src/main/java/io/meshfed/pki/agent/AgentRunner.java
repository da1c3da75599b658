package io.meshfed.pki.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.Pems;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The Quarkus shell around {@link CsrAgent}: reads configuration, picks the Secret or directory output, and
 * runs the reconcile loop on one thread, each run scheduled when the previous one asked.
 */
@ApplicationScoped
public class AgentRunner {
    private static final Logger LOG = Logger.getLogger(AgentRunner.class);

    @ConfigProperty(name = "meshfed.agent.cluster")
    String cluster;
    @ConfigProperty(name = "meshfed.agent.trust-domain")
    String trustDomain;
    @ConfigProperty(name = "meshfed.agent.submit-url")
    URI submitUrl;
    @ConfigProperty(name = "meshfed.agent.encoding")
    String encoding;
    @ConfigProperty(name = "meshfed.agent.key-algorithm")
    String keyAlgorithm;
    @ConfigProperty(name = "meshfed.agent.lifetime")
    Optional<Duration> lifetime;
    @ConfigProperty(name = "meshfed.agent.refresh-interval")
    Duration refreshInterval;
    @ConfigProperty(name = "meshfed.agent.backoff-initial")
    Duration backoffInitial;
    @ConfigProperty(name = "meshfed.agent.backoff-max")
    Duration backoffMax;
    @ConfigProperty(name = "meshfed.agent.request-timeout")
    Duration requestTimeout;
    @ConfigProperty(name = "meshfed.agent.output")
    String output;
    @ConfigProperty(name = "meshfed.agent.namespace")
    String namespace;
    @ConfigProperty(name = "meshfed.agent.secret-name")
    String secretName;
    @ConfigProperty(name = "meshfed.agent.directory")
    Path directory;
    @ConfigProperty(name = "meshfed.agent.bootstrap-trust-bundle")
    Optional<Path> bootstrapTrustBundle;
    @ConfigProperty(name = "meshfed.agent.token-file")
    Path tokenFile;
    @ConfigProperty(name = "meshfed.agent.enabled", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "meshfed.agent.xds-client.enabled", defaultValue = "true")
    boolean xdsClientEnabled;
    @ConfigProperty(name = "meshfed.agent.xds-client.secret-name", defaultValue = KubernetesXdsClientStore.DEFAULT_NAME)
    String xdsClientSecretName;
    @ConfigProperty(name = "meshfed.agent.xds-client.lifetime")
    Optional<Duration> xdsClientLifetime;

    private ScheduledExecutorService loop;
    private volatile AgentMeters meters;

    /** The running agent's meters; null when the agent is switched off or not started yet. */
    AgentMeters meters() {
        return meters;
    }

    void start(@Observes StartupEvent event, Instance<KubernetesClient> kubernetes, MeterRegistry registry)
            throws IOException {
        if (!enabled) {
            return;
        }
        AgentSettings settings = new AgentSettings(cluster, trustDomain, KeyAlgorithm.parse(keyAlgorithm),
                lifetime.orElse(null), refreshInterval, backoffInitial, backoffMax);
        CaCertsStore store = switch (output.toLowerCase(Locale.ROOT)) {
            case "kubernetes" -> new KubernetesCaCertsStore(kubernetes.get(), namespace, secretName);
            case "file" -> new FileCaCertsStore(directory);
            default -> throw new IllegalArgumentException("meshfed.agent.output must be 'kubernetes' or 'file', got '"
                    + output + "'");
        };
        List<X509Certificate> bootstrap = bootstrapTrustBundle.isPresent()
                ? Pems.certificates(Files.readString(bootstrapTrustBundle.get()), "bootstrap trust bundle")
                : List.of();
        HttpCsrClient client = new HttpCsrClient(submitUrl, "meshfed/csr-agent/" + cluster,
                HttpCsrClient.Encoding.valueOf(encoding.toUpperCase(Locale.ROOT)), requestTimeout);
        TokenSource tokens = new ProjectedTokenFile(tokenFile);
        AgentMeters agentMeters = new AgentMeters(registry, cluster, Clock.systemUTC());
        CsrAgent agent = new CsrAgent(settings, client, tokens, store, Clock.systemUTC(),
                new Random(), bootstrap, agentMeters);
        meters = agentMeters;
        loop = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "csr-agent"));
        loop.execute(() -> runAndReschedule(agent::reconcile));
        if (xdsClientEnabled && store instanceof KubernetesCaCertsStore) {
            XdsClientAgent xdsClient = new XdsClientAgent(settings, xdsClientLifetime.orElse(null), client,
                    tokens, new KubernetesXdsClientStore(kubernetes.get(), namespace,
                            xdsClientSecretName), Clock.systemUTC(), new Random(), bootstrap);
            loop.execute(() -> runAndReschedule(xdsClient::reconcile));
            LOG.infof("keeping the xDS relay's client certificate in Secret %s/%s", namespace, xdsClientSecretName);
        } else if (xdsClientEnabled) {
            LOG.infof("no xDS client certificate with output %s (it is kept in a Secret only)", output);
        }
        LOG.infof("CSR agent for cluster %s started; PKI function at %s, token from %s, output %s", cluster, submitUrl,
                tokenFile, output);
    }

    private void runAndReschedule(java.util.function.Supplier<Instant> reconcile) {
        Instant next;
        try {
            next = reconcile.get();
        } catch (RuntimeException e) {
            LOG.error("reconcile failed unexpectedly; retrying in 30s", e);
            next = Instant.now().plusSeconds(30);
        }
        long delay = Math.max(0, Duration.between(Instant.now(), next).toMillis());
        loop.schedule(() -> runAndReschedule(reconcile), delay, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.shutdownNow();
        }
    }
}
