package io.meshfed.pki.authn;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.MeshCluster;
import io.meshfed.pki.signing.AuthenticationUnavailableException;
import io.meshfed.store.WorkloadClusterClients;
import java.util.List;

/**
 * {@link TokenReviewer} through fabric8, with the client {@link WorkloadClusterClients} opens for the cluster (the
 * same registration and credentials the export function reads it with). A client is opened per review and closed
 * after it; with the authenticator's cache, reviews are rare. Thread-safe.
 */
public final class KubernetesTokenReviewer implements TokenReviewer {
    private final WorkloadClusterClients clients;

    public KubernetesTokenReviewer(WorkloadClusterClients clients) {
        this.clients = clients;
    }

    @Override
    public Answer review(MeshCluster cluster, ClusterCredentials credentials, String token, String audience) {
        TokenReview request = new TokenReviewBuilder().withNewSpec().withToken(token).withAudiences(audience)
                .endSpec().build();
        TokenReview answered;
        try (KubernetesClient client = clients.open(cluster, credentials)) {
            answered = client.authentication().v1().tokenReviews().create(request);
        } catch (KubernetesClientException e) {
            throw unavailable(cluster, e);
        }
        TokenReviewStatus status = answered == null ? null : answered.getStatus();
        if (status == null) {
            throw new AuthenticationUnavailableException("the API server of cluster " + cluster.name() + " ("
                    + cluster.apiServer().url() + ") answered a TokenReview without a status", null);
        }
        boolean authenticated = Boolean.TRUE.equals(status.getAuthenticated());
        String username = authenticated && status.getUser() != null ? status.getUser().getUsername() : null;
        List<String> audiences = status.getAudiences();
        return new Answer(authenticated, username, audiences, blankToNull(status.getError()));
    }

    /**
     * Says what went wrong in words an operator can act on. Built from the status code and the API server's status
     * message only: fabric8's own message may quote the request, and the request holds the token.
     */
    static AuthenticationUnavailableException unavailable(MeshCluster cluster, KubernetesClientException e) {
        String where = "the API server of cluster " + cluster.name() + " (" + cluster.apiServer().url() + ")";
        int code = e.getCode();
        String detail = e.getStatus() != null && e.getStatus().getMessage() != null ? ": " + e.getStatus().getMessage()
                : "";
        String message;
        if (code == 401) {
            message = where + " refused meshfed's stored credentials for it (401 Unauthorized); re-register the "
                    + "cluster with valid credentials";
        } else if (code == 403) {
            message = where + " does not let meshfed's credentials create TokenReviews (403 Forbidden" + detail
                    + "); apply knative/workload/export-reader.yaml of this release in that cluster";
        } else if (code > 0) {
            message = where + " answered the TokenReview with HTTP " + code + detail;
        } else {
            message = "cannot reach " + where + ": " + rootCause(e);
        }
        return new AuthenticationUnavailableException(message, null);
    }

    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : " " + t.getMessage());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
