package io.meshfed.local;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.pki.authn.ServiceAccountName;
import io.meshfed.pki.authn.TokenReviewAuthenticator;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * A workload cluster's Kubernetes API: objects kept by fabric8's mock server in CRUD mode (local mode is one JVM with
 * nothing else to install, where a real kube-apiserver needs etcd and a Go build; this is the ecosystem's standard
 * stand-in), seeded with the example's YAML, behind an HTTPS front ({@link ApiServerFront}: a certificate with subject
 * alternative names, discovery documents, bearer tokens checked). meshfed, and {@code kubectl}, reach it exactly as
 * they reach a real cluster: an https URL, the CA of its serving certificate and a bearer token. It answers
 * {@code GET /version} like an API server, so the registration's connectivity check passes.
 *
 * <p>It plays the cluster's token issuer for the CSR agent: {@link #agentToken()} is the one service-account token
 * it minted (for {@code istio-system/meshfed-csr-agent}, audience {@code meshfed-pki}), and it answers TokenReviews
 * as a real API server would: authenticated with that username and audience for exactly that token reviewed for
 * that audience, not authenticated for anything else.
 */
public final class WorkloadApiServer implements AutoCloseable {
    static final ResourceDefinitionContext SERVICE_EXPORT = new ResourceDefinitionContext.Builder()
            .withGroup("multicluster.x-k8s.io").withVersion("v1alpha1").withKind("ServiceExport")
            .withPlural("serviceexports").withNamespaced(true).build();

    static final String TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
    static final String AGENT_AUDIENCE = TokenReviewAuthenticator.DEFAULT_AUDIENCE;
    static final String AGENT_USERNAME = ServiceAccountName.CSR_AGENT.username();

    private final MockWebServer web = new MockWebServer();
    private final KubernetesMockServer server;
    private final ApiServerFront front;
    private final NamespacedKubernetesClient client;
    private final String token;
    private final String agentToken;
    /** What the example's files held when last (re)loaded, by kind/namespace/name: what {@link #reload} diffs. */
    private final Map<String, FileObject> fromFiles = new java.util.LinkedHashMap<>();

    /** An object as its file held it: the JSON is taken before the object is handed to the client. */
    private record FileObject(HasMetadata object, String json) {
        static FileObject of(HasMetadata object) {
            return new FileObject(object, Serialization.asJson(object));
        }
    }

    public WorkloadApiServer(io.vertx.core.Vertx vertx, ExampleCluster example) {
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        // Plain HTTP on loopback: only the front (and this class's own client) reach the store.
        server = new KubernetesMockServer(new Context(), web, expectations, new KubernetesMixedDispatcher(expectations),
                false, new VersionInfo.Builder().withMajor("1").withMinor("31").withGitVersion("v1.31.0-meshfed-local")
                        .withPlatform("linux/amd64").build());
        server.init(java.net.InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        token = "meshfed-local-" + example.cluster().name();
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        agentToken = "meshfed-local-agent-" + example.cluster().name() + "-" + java.util.HexFormat.of().formatHex(random);
        server.expect().post().withPath(TOKEN_REVIEWS).andReply(201, request -> review(request.getUtf8Body()))
                .always();
        front = ApiServerFront.start(vertx, server.getPort(), java.util.Set.of(token, agentToken));
        answersVersion();
        for (HasMetadata object : example.objects()) {
            FileObject loaded = FileObject.of(object);
            seed(example, object);
            fromFiles.put(key(object), loaded);
        }
    }

    /**
     * Serves what the example's files hold now: objects removed from the files are deleted, new ones created and
     * changed ones replaced; objects whose file content did not change are left as they are (a change made through
     * {@link #client()} stays). Not thread-safe: the caller serializes reloads.
     *
     * @return how many objects were created, replaced or deleted
     */
    int reload(ExampleCluster example) {
        // Refuse a kind the store cannot serve before anything changes, so a bad file changes nothing.
        example.objects().forEach(o -> servable(example, o));
        Map<String, FileObject> next = new java.util.LinkedHashMap<>();
        example.objects().forEach(o -> next.put(key(o), FileObject.of(o)));
        int changes = 0;
        for (var gone : new java.util.ArrayList<>(fromFiles.keySet())) {
            if (!next.containsKey(gone)) {
                delete(fromFiles.remove(gone).object());
                changes++;
            }
        }
        for (var entry : next.entrySet()) {
            FileObject before = fromFiles.get(entry.getKey());
            if (before != null && before.json().equals(entry.getValue().json())) {
                continue;
            }
            if (before != null) {
                delete(before.object());
            }
            seed(example, entry.getValue().object());
            fromFiles.put(entry.getKey(), entry.getValue());
            changes++;
        }
        return changes;
    }

    private void delete(HasMetadata object) {
        if (object instanceof GenericKubernetesResource generic) {
            client.genericKubernetesResources(SERVICE_EXPORT).inNamespace(namespaceOf(generic))
                    .withName(generic.getMetadata().getName()).delete();
        } else if (object.getMetadata().getNamespace() == null && !(object instanceof io.fabric8.kubernetes.api.model.Node)) {
            client.resource(object).inNamespace("default").delete();
        } else {
            client.resource(object).delete();
        }
    }

    private static String key(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
    }

    /**
     * Asks the front for {@code /version} as meshfed's registration probe will, over TLS verified against
     * {@link #caPem()} with the cluster's token: a start-up check that the cluster answers, which also does the
     * first (slowest) TLS handshake and store connection before a probe with a deadline does.
     */
    private void answersVersion() {
        try {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("api", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(caPem().getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            var http = java.net.http.HttpClient.newBuilder().sslContext(tls)
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            var answer = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url() + "/version"))
                    .header("Authorization", "Bearer " + token).timeout(java.time.Duration.ofSeconds(60)).build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("answered GET /version with " + answer.statusCode());
            }
        } catch (java.io.IOException | java.security.GeneralSecurityException | IllegalStateException e) {
            close();
            throw new IllegalStateException("the example API server at " + url() + " does not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while starting the example API server", e);
        }
    }

    /** The TokenReview answer for a review request body: see the class comment. */
    private TokenReview review(String body) {
        TokenReview asked = Serialization.unmarshal(body, TokenReview.class);
        boolean valid = asked.getSpec() != null && agentToken.equals(asked.getSpec().getToken())
                && asked.getSpec().getAudiences() != null && asked.getSpec().getAudiences().contains(AGENT_AUDIENCE);
        TokenReviewStatusBuilder status = new TokenReviewStatusBuilder().withAuthenticated(valid);
        if (valid) {
            status.withAudiences(AGENT_AUDIENCE).withNewUser().withUsername(AGENT_USERNAME).endUser();
        } else {
            status.withError("[invalid bearer token, not a token this local API server minted for this audience]");
        }
        return new TokenReviewBuilder().withSpec(asked.getSpec()).withStatus(status.build()).build();
    }

    /** Kinds without a fabric8 model class are generic; of those, local mode serves ServiceExports only. */
    private static void servable(ExampleCluster example, HasMetadata object) {
        if (object instanceof GenericKubernetesResource generic && !"ServiceExport".equals(generic.getKind())) {
            throw new ExampleException(example.directory() + ": kind " + generic.getKind() + " ("
                    + generic.getApiVersion() + ") is not served in local mode; use Services, "
                    + "ServiceExports, EndpointSlices, Pods and Nodes");
        }
    }

    private void seed(ExampleCluster example, HasMetadata object) {
        servable(example, object);
        try {
            if (object instanceof GenericKubernetesResource generic) {
                String ns = namespaceOf(generic);
                client.genericKubernetesResources(SERVICE_EXPORT).inNamespace(ns).resource(generic).create();
            } else if (object.getMetadata().getNamespace() == null && !(object instanceof io.fabric8.kubernetes.api.model.Node)) {
                client.resource(object).inNamespace("default").create();
            } else {
                client.resource(object).create();
            }
        } catch (KubernetesClientException e) {
            throw new ExampleException(example.directory() + ": cannot create " + object.getKind() + " "
                    + object.getMetadata().getName() + ": " + e.getMessage());
        }
    }

    private static String namespaceOf(HasMetadata o) {
        return o.getMetadata().getNamespace() == null ? "default" : o.getMetadata().getNamespace();
    }

    /** The API server URL; the certificate is issued for {@code localhost} and {@code 127.0.0.1}. */
    public String url() {
        return "https://localhost:" + front.port();
    }

    /** The CA of the serving certificate (PEM): the certificate itself, which is self-signed. */
    public String caPem() {
        return front.certificatePem();
    }

    public String token() {
        return token;
    }

    /** The CSR agent's service-account token in this cluster: what kubelet would project into the agent's Pod. */
    public String agentToken() {
        return agentToken;
    }

    /** A client of this cluster, for changing its objects while meshfed runs. */
    public NamespacedKubernetesClient client() {
        return client;
    }

    @Override
    public void close() {
        front.close();
        client.close();
        server.destroy();
    }
}
