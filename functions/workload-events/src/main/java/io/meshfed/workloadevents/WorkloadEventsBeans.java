package io.meshfed.workloadevents;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.meshfed.pki.authn.KubernetesTokenReviewer;
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.WorkloadClusterClients;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Wires the gate and the Broker sender from configuration (application.properties lists every property). */
@ApplicationScoped
public class WorkloadEventsBeans {
    private static final Logger LOG = Logger.getLogger(WorkloadEventsBeans.class);

    @ConfigProperty(name = "meshfed.namespace")
    String namespace;
    @ConfigProperty(name = "meshfed.workload-events.audience")
    String audience;
    @ConfigProperty(name = "meshfed.workload-events.sender-service-account")
    String sender;
    @ConfigProperty(name = "meshfed.workload-events.auth.cache-ttl")
    Duration cacheTtl;
    @ConfigProperty(name = "meshfed.workload-events.auth.connect-timeout")
    Duration connectTimeout;
    @ConfigProperty(name = "meshfed.workload-events.auth.request-timeout")
    Duration requestTimeout;
    @ConfigProperty(name = "meshfed.workload-events.broker-url")
    URI brokerUrl;
    @ConfigProperty(name = "meshfed.workload-events.broker-token-file")
    Path brokerTokenFile;
    @ConfigProperty(name = "meshfed.workload-events.broker-ca-file")
    java.util.Optional<Path> brokerCaFile;
    @ConfigProperty(name = "meshfed.workload-events.broker-timeout")
    Duration brokerTimeout;

    @Produces
    @Singleton
    WorkloadEventGate gate(KubernetesClient client, Vertx vertx) {
        ServiceAccountName senderAccount = ServiceAccountName.parse(sender);
        LOG.infof("workload events: tokens for audience '%s' of service account %s, reviewed by each claimed cluster",
                audience, senderAccount);
        KubernetesClusterStore clusters = new KubernetesClusterStore(client, namespace);
        return new WorkloadEventGate(clusters, new TokenReviewAuthenticator(clusters, new KubernetesTokenReviewer(
                new WorkloadClusterClients(new VertxHttpClientFactory(vertx), connectTimeout, requestTimeout)),
                audience, senderAccount, Clock.systemUTC(), cacheTtl), Clock.systemUTC());
    }

    @Produces
    @Singleton
    BrokerSender brokerSender() {
        LOG.infof("workload events: admitted syncs go to %s with the token in %s", brokerUrl, brokerTokenFile);
        brokerCaFile.filter(f -> !java.nio.file.Files.exists(f)).ifPresent(f -> LOG.warnf("the Broker CA file %s does"
                + " not exist; trusting the JVM's default CAs for %s", f, brokerUrl));
        return new BrokerSender(brokerUrl, brokerTokenFile, brokerCaFile.orElse(null), brokerTimeout);
    }
}
