package io.meshfed.model;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * Credentials for a workload cluster's API server: a bearer token, or a client certificate and key (PEM).
 * Sensitive: {@link #toString()} never prints them, and they are only ever stored in a Secret.
 */
public record ClusterCredentials(String token, String clientCertificate, String clientKey) {
    public ClusterCredentials {
        validate(token, clientCertificate, clientKey).throwIfAny();
    }

    public static Violations validate(String token, String clientCertificate, String clientKey) {
        Violations v = new Violations();
        boolean hasToken = token != null && !token.isBlank();
        boolean hasCert = clientCertificate != null && !clientCertificate.isBlank();
        boolean hasKey = clientKey != null && !clientKey.isBlank();
        if (!hasToken && !hasCert && !hasKey) {
            v.add("credentials", "need a token or a client certificate and key (or register with apiAccess=none)");
        } else if (hasToken && (hasCert || hasKey)) {
            v.add("credentials", "give either a token or a client certificate and key, not both");
        } else if (!hasToken) {
            v.check("credentials.clientCertificate", Rules.pemOrBase64Pem(clientCertificate, "CERTIFICATE"));
            v.check("credentials.clientKey", Rules.pemOrBase64Pem(clientKey, ""));
        }
        return v;
    }

    public static ClusterCredentials ofToken(String token) {
        return new ClusterCredentials(token, null, null);
    }

    @JsonIgnore
    public boolean isToken() {
        return token != null && !token.isBlank();
    }

    @Override
    public String toString() {
        return isToken() ? "ClusterCredentials[token=<redacted>]" : "ClusterCredentials[clientCertificate=<redacted>]";
    }
}
