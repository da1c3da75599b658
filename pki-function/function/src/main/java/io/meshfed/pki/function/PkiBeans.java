package io.meshfed.pki.function;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.meshfed.pki.audit.FileAuditStore;
import io.meshfed.pki.audit.KubernetesAuditStore;
import io.meshfed.pki.ca.CaState;
import io.meshfed.pki.ca.CaStore;
import io.meshfed.pki.ca.CertificateAuthority;
import io.meshfed.pki.ca.FileCaStore;
import io.meshfed.pki.ca.KeyAlgorithm;
import io.meshfed.pki.ca.KubernetesCaStore;
import io.meshfed.pki.ca.RootCa;
import io.meshfed.pki.authn.KubernetesTokenReviewer;
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import io.meshfed.pki.signing.AuditStore;
import io.meshfed.pki.signing.CallerAuthenticator;
import io.meshfed.pki.signing.CryptoProviders;
import io.meshfed.pki.signing.CsrChecks;
import io.meshfed.pki.signing.CsrSigningService;
import io.meshfed.pki.signing.IntermediateSigner;
import io.meshfed.pki.signing.SigningPolicy;
import io.meshfed.store.ClusterStore;
import io.meshfed.store.FileClusterStore;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.store.status.ClusterStatusWriter;
import io.meshfed.store.status.KubernetesClusterStatusWriter;
import io.meshfed.store.WorkloadClusterClients;
import io.quarkus.arc.DefaultBean;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Wires the signing service to its stores: Kubernetes (management cluster) or files (local mode), chosen by
 * {@code meshfed.pki.store}; and to the authenticator that has each workload cluster's API server review the CSR
 * agent's token. Each store and the authenticator is a producer so a test, or another deployment, can replace it.
 */
@ApplicationScoped
public class PkiBeans {
    private static final Logger LOG = Logger.getLogger(PkiBeans.class);

    @ConfigProperty(name = "meshfed.pki.store")
    String storeKind;
    /** Where MeshClusters and their credentials Secrets are (read only). */
    @ConfigProperty(name = "meshfed.namespace")
    String namespace;
    /** Where the CA Secret and the audit ConfigMaps are: a namespace only this function's RBAC reaches. */
    @ConfigProperty(name = "meshfed.pki.namespace")
    String pkiNamespace;
    @ConfigProperty(name = "meshfed.pki.ca-secret")
    String caSecret;
    @ConfigProperty(name = "meshfed.pki.state-dir")
    Path stateDir;
    @ConfigProperty(name = "meshfed.pki.root.key-algorithm")
    String rootAlgorithm;
    @ConfigProperty(name = "meshfed.pki.root.lifetime")
    Duration rootLifetime;
    @ConfigProperty(name = "meshfed.pki.root.common-name")
    String rootCommonName;
    @ConfigProperty(name = "meshfed.pki.root.import.key-file")
    Optional<Path> importKey;
    @ConfigProperty(name = "meshfed.pki.root.import.chain-file")
    Optional<Path> importChain;
    @ConfigProperty(name = "meshfed.pki.max-lifetime")
    Duration maxLifetime;
    @ConfigProperty(name = "meshfed.pki.xds-client.domain")
    Optional<String> xdsClientDomain;
    @ConfigProperty(name = "meshfed.pki.xds-client.max-lifetime")
    Duration xdsClientMaxLifetime;
    @ConfigProperty(name = "meshfed.pki.crypto-provider")
    String cryptoProvider;
    @ConfigProperty(name = "meshfed.pki.auth.audience")
    String audience;
    @ConfigProperty(name = "meshfed.pki.auth.agent-service-account")
    String agentServiceAccount;
    @ConfigProperty(name = "meshfed.pki.auth.cache-ttl")
    Duration cacheTtl;
    @ConfigProperty(name = "meshfed.pki.auth.connect-timeout")
    Duration connectTimeout;
    @ConfigProperty(name = "meshfed.pki.auth.request-timeout")
    Duration requestTimeout;
    @ConfigProperty(name = "meshfed.pki.audit.rejections-kept")
    int rejectionsKept;

    private boolean kubernetes() {
        return switch (storeKind.toLowerCase(Locale.ROOT)) {
            case "kubernetes" -> true;
            case "file" -> false;
            default -> throw new IllegalArgumentException("meshfed.pki.store must be 'kubernetes' or 'file', got '"
                    + storeKind + "'");
        };
    }

    @Produces
    @Singleton
    @DefaultBean
    ClusterStore clusterStore(Instance<KubernetesClient> client) {
        return kubernetes() ? new KubernetesClusterStore(client.get(), namespace)
                : new FileClusterStore(stateDir);
    }

    @Produces
    @Singleton
    @DefaultBean
    CaStore caStore(Instance<KubernetesClient> client) {
        return kubernetes() ? new KubernetesCaStore(client.get(), pkiNamespace, caSecret, Clock.systemUTC())
                : new FileCaStore(stateDir.resolve("pki/ca.json"), Clock.systemUTC());
    }

    @Produces
    @Singleton
    @DefaultBean
    AuditStore auditStore(Instance<KubernetesClient> client) {
        return kubernetes() ? new KubernetesAuditStore(client.get(), pkiNamespace, rejectionsKept)
                : new FileAuditStore(stateDir.resolve("pki/audit"), rejectionsKept);
    }

    /** TokenReviews on each workload cluster's API server, with the credentials its registration stored. */
    @Produces
    @Singleton
    @DefaultBean
    CallerAuthenticator callerAuthenticator(ClusterStore clusters, Vertx vertx) {
        ServiceAccountName agent = ServiceAccountName.parse(agentServiceAccount);
        LOG.infof("CSR agents authenticate with tokens for audience '%s' of service account %s", audience, agent);
        return new TokenReviewAuthenticator(clusters, new KubernetesTokenReviewer(new WorkloadClusterClients(
                new VertxHttpClientFactory(vertx), connectTimeout, requestTimeout)), audience, agent,
                Clock.systemUTC(), cacheTtl);
    }

    @Produces
    @Singleton
    CsrSigningService signingService(CallerAuthenticator authenticator, ClusterStore clusters, CaStore caStore,
            AuditStore audit, MeterRegistry registry) {
        PkiMeters meters = new PkiMeters(registry);
        CaState initial = meters.loaded(caStore.load()
                .orElseGet(() -> caStore.initialize(CaState.of(firstAuthority()))));
        if (caStore instanceof KubernetesCaStore kubernetes) {
            kubernetes.publish(); // the public copy status tools read, if an earlier write of it failed
        }
        LOG.infof("PKI signs with %s; trust bundle of %d root(s)", initial.signer(), initial.trustedRoots().size());
        SigningPolicy policy = SigningPolicy.defaults().withMaxLifetime(maxLifetime)
                .withXdsClients(xdsClientDomain.orElse(null), xdsClientMaxLifetime);
        LOG.infof("xDS client certificates: %s", policy.xdsClientDomain() == null ? "not issued"
                : "<cluster>." + policy.xdsClientDomain() + ", at most " + xdsClientMaxLifetime);
        java.security.Provider provider = CryptoProviders.named(cryptoProvider);
        LOG.infof("CSR verification and signing use the %s provider",
                provider == null ? "JDK's default" : provider.getName());
        return new CsrSigningService(authenticator, clusters, new CsrChecks(policy, provider),
                new IntermediateSigner(provider, new SecureRandom()),
                () -> meters.loaded(caStore.load()
                        .orElseThrow(() -> new IllegalStateException("the CA state disappeared"))),
                audit, Clock.systemUTC(), meters);
    }

    @Produces
    @Singleton
    PkiAdapter pkiAdapter(CsrSigningService service, Instance<KubernetesClient> client) {
        // MeshCluster status on the management cluster; none with file stores (no MeshCluster resources)
        ClusterStatusWriter status = kubernetes()
                ? new KubernetesClusterStatusWriter(client.get(), namespace, "meshfed-pki", Clock.systemUTC())
                : ClusterStatusWriter.NONE;
        return new PkiAdapter(service, Logger.getLogger(PkiAdapter.class)::info, status);
    }

    /** The configured bring-your-own CA if both files are set, otherwise a freshly generated root. */
    private CertificateAuthority firstAuthority() {
        if (importKey.isPresent() != importChain.isPresent()) {
            throw new IllegalArgumentException("set both meshfed.pki.root.import.key-file and "
                    + "meshfed.pki.root.import.chain-file, or neither");
        }
        if (importKey.isPresent()) {
            try {
                return CertificateAuthority.fromPem(Files.readString(importKey.get()),
                        Files.readString(importChain.get()), Clock.systemUTC());
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the CA files to import: " + e.getMessage(), e);
            }
        }
        return RootCa.generate(KeyAlgorithm.parse(rootAlgorithm), rootCommonName, rootLifetime, Clock.systemUTC(),
                new SecureRandom());
    }
}
