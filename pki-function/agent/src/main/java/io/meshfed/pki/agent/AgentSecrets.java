package io.meshfed.pki.agent;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.store.ConcurrentChangeException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The agent's Secret writes: compare-and-set on the version read, and never an echo of key material in errors. */
final class AgentSecrets {
    private AgentSecrets() {
    }

    /**
     * Creates {@code secret} ({@code expectedVersion} null) or replaces it at {@code expectedVersion}.
     *
     * @throws ConcurrentChangeException when someone wrote since it was read (409), or deleted it (404)
     * @throws CaCertsWriteException on any other failure, naming only the HTTP status
     */
    static void write(KubernetesClient client, Secret secret, String expectedVersion) {
        String namespace = secret.getMetadata().getNamespace();
        String name = secret.getMetadata().getName();
        try {
            if (expectedVersion == null) {
                client.secrets().inNamespace(namespace).resource(secret).create();
            } else {
                secret.getMetadata().setResourceVersion(expectedVersion);
                client.secrets().inNamespace(namespace).resource(secret).update();
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == java.net.HttpURLConnection.HTTP_CONFLICT
                    || e.getCode() == java.net.HttpURLConnection.HTTP_NOT_FOUND) {
                throw new ConcurrentChangeException("Secret " + namespace + "/" + name + " changed since it was read"
                        + (expectedVersion == null ? " (it did not exist)" : " at resourceVersion " + expectedVersion)
                        + ": re-read it", null);
            }
            // Never pass on the message: a failed write's response may echo the body, which holds the key.
            throw new CaCertsWriteException("writing Secret " + namespace + "/" + name + " failed with HTTP "
                    + e.getCode());
        }
    }

    static String encode(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
