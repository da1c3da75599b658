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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;

/**
 * A workload cluster's Kubernetes API, served over HTTPS by fabric8's mock server in CRUD mode (a real
 * kube-apiserver cannot run without a cluster; this is the ecosystem's standard stand-in) and seeded with the
 * example's YAML. meshfed reaches it exactly as it reaches a real cluster: an https URL, the CA of its serving
 * certificate (the mock's self-signed certificate) and a bearer token. It answers {@code GET /version} like an API
 * server, so the registration's connectivity check passes. The mock does not check meshfed's own token.
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
    private final NamespacedKubernetesClient client;
    private final String token;
    private final String agentToken;

    public WorkloadApiServer(ExampleCluster example) {
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        server = new KubernetesMockServer(new Context(), web, expectations, new KubernetesMixedDispatcher(expectations),
                true, new VersionInfo.Builder().withMajor("1").withMinor("31").withGitVersion("v1.31.0-meshfed-local")
                        .withPlatform("linux/amd64").build());
        server.init(java.net.InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        token = "meshfed-local-" + example.cluster().name();
        byte[] random = new byte[24];
        new java.security.SecureRandom().nextBytes(random);
        agentToken = "meshfed-local-agent-" + example.cluster().name() + "-" + java.util.HexFormat.of().formatHex(random);
        server.expect().post().withPath(TOKEN_REVIEWS).andReply(201, request -> review(request.getUtf8Body()))
                .always();
        for (HasMetadata object : example.objects()) {
            seed(example, object);
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

    private void seed(ExampleCluster example, HasMetadata object) {
        try {
            if (object instanceof GenericKubernetesResource generic) {
                if (!"ServiceExport".equals(generic.getKind())) {
                    throw new ExampleException(example.directory() + ": kind " + generic.getKind() + " ("
                            + generic.getApiVersion() + ") is not served in local mode; use Services, "
                            + "ServiceExports, EndpointSlices, Pods and Nodes");
                }
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

    /** The API server URL; the certificate is issued for {@code localhost}. */
    public String url() {
        return "https://localhost:" + server.getPort();
    }

    /** The CA that signs the serving certificate (PEM). */
    public String caPem() {
        try {
            return Files.readString(Path.of(web.getSelfSignedCertificate().certificatePath()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        client.close();
        server.destroy();
    }
}
