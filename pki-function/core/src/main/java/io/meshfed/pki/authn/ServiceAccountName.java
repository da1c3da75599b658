package io.meshfed.pki.authn;

import io.meshfed.model.Rules;

/**
 * A Kubernetes service account, {@code <namespace>/<name>}, and the username its tokens authenticate as
 * ({@code system:serviceaccount:<namespace>:<name>}).
 */
public record ServiceAccountName(String namespace, String name) {
    /** The CSR agent's service account in knative/workload/csr-agent.yaml. */
    public static final ServiceAccountName CSR_AGENT = new ServiceAccountName("istio-system", "meshfed-csr-agent");

    public ServiceAccountName {
        Rules.dns1123Label(namespace).ifPresent(p -> {
            throw new IllegalArgumentException("service account namespace " + p);
        });
        Rules.dns1123Subdomain(name).ifPresent(p -> {
            throw new IllegalArgumentException("service account name " + p);
        });
    }

    /** Parses {@code <namespace>/<name>}, e.g. {@code istio-system/meshfed-csr-agent}. */
    public static ServiceAccountName parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0 || text.indexOf('/', slash + 1) >= 0) {
            throw new IllegalArgumentException("a service account is written <namespace>/<name>, got '" + text + "'");
        }
        return new ServiceAccountName(text.substring(0, slash), text.substring(slash + 1));
    }

    /** What a TokenReview reports as {@code status.user.username} for this account's tokens. */
    public String username() {
        return "system:serviceaccount:" + namespace + ":" + name;
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
