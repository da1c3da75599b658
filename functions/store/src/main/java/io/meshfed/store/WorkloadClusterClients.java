package io.meshfed.store;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.model.Pem;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * Opens a fabric8 client on a registered workload cluster's API server, as meshfed itself: the URL and serving CA
 * of its {@link MeshCluster} record and the credentials {@link ClusterStore#credentials} holds for it (a bearer
 * token or a client certificate). The one place that turns a registration into a client; the export function reads
 * with it, the PKI function sends TokenReviews with it.
 *
 * <p>Every request is bounded by the connect and request timeouts and never retried by the client: callers report a
 * failure at once and let their own retry policy (the next event, the agent's backoff) decide. Callers open a client
 * per use and close it, so rotated credentials take effect at the next use. Thread-safe.
 */
public final class WorkloadClusterClients {
    private final HttpClient.Factory httpClientFactory;
    private final Duration connectTimeout;
    private final Duration requestTimeout;

    /**
     * @param httpClientFactory the HTTP client to use (shared, e.g. on the application's Vert.x); null for fabric8's
     *        default
     */
    public WorkloadClusterClients(HttpClient.Factory httpClientFactory, Duration connectTimeout,
            Duration requestTimeout) {
        this.httpClientFactory = httpClientFactory;
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    /**
     * A client acting with {@code credentials} on {@code cluster}'s API server; the caller closes it.
     *
     * @throws IllegalArgumentException when the cluster was registered without API access
     */
    public KubernetesClient open(MeshCluster cluster, ClusterCredentials credentials) {
        KubernetesClientBuilder builder = new KubernetesClientBuilder().withConfig(config(cluster, credentials));
        if (httpClientFactory != null) {
            builder.withHttpClientFactory(httpClientFactory);
        }
        return builder.build();
    }

    /** The client configuration {@link #open} uses: no kubeconfig or environment is consulted. */
    public Config config(MeshCluster cluster, ClusterCredentials credentials) {
        if (!cluster.hasApiAccess()) {
            throw new IllegalArgumentException("cluster " + cluster.name() + " was registered without API access");
        }
        ConfigBuilder config = new ConfigBuilder(Config.empty())
                .withMasterUrl(cluster.apiServer().url())
                .withCaCertData(base64(cluster.apiServer().caPem()))
                .withConnectionTimeout(Math.toIntExact(connectTimeout.toMillis()))
                .withRequestTimeout(Math.toIntExact(requestTimeout.toMillis()))
                .withRequestRetryBackoffLimit(0);
        if (credentials.isToken()) {
            config.withOauthToken(credentials.token());
        } else {
            config.withClientCertData(base64(Pem.decodeText(credentials.clientCertificate())))
                    .withClientKeyData(base64(Pem.decodeText(credentials.clientKey())));
        }
        return config.build();
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    private static String base64(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
    }
}
