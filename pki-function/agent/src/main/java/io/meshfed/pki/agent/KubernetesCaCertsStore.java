package io.meshfed.pki.agent;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.store.ConcurrentChangeException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code istio-system/cacerts} through fabric8. The data holds exactly Istio's four keys; the request that
 * produced them rides in annotations. Every write is one create or one full replace of the Secret carrying the
 * resourceVersion the agent read, which the API server applies atomically (so istiod never reads a half-written
 * secret) or refuses with 409 when someone wrote in between. Thread-safe.
 */
public final class KubernetesCaCertsStore implements CaCertsStore {
    static final String REQUEST_ID_ANNOTATION = "meshfed.io/request-id";
    static final String CSR_ANNOTATION = "meshfed.io/csr";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    public KubernetesCaCertsStore(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    @Override
    public Optional<Versioned> readVersioned() {
        Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
        if (secret == null) {
            return Optional.empty();
        }
        return Optional.of(new Versioned(caCertsOf(secret), secret.getMetadata().getResourceVersion()));
    }

    private static Optional<CaCerts> caCertsOf(Secret secret) {
        Map<String, String> data = secret.getData();
        if (data == null || !data.keySet().containsAll(java.util.Set.of(CaCerts.CA_CERT, CaCerts.CA_KEY,
                CaCerts.CERT_CHAIN, CaCerts.ROOT_CERT))) {
            return Optional.empty();
        }
        Map<String, String> annotations = secret.getMetadata().getAnnotations() == null ? Map.of()
                : secret.getMetadata().getAnnotations();
        return Optional.of(new CaCerts(decode(data.get(CaCerts.CA_CERT)), decode(data.get(CaCerts.CA_KEY)),
                decode(data.get(CaCerts.CERT_CHAIN)), decode(data.get(CaCerts.ROOT_CERT)),
                annotations.get(REQUEST_ID_ANNOTATION), annotations.get(CSR_ANNOTATION)));
    }

    @Override
    public void write(CaCerts caCerts, String expectedVersion) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(CaCerts.CA_CERT, encode(caCerts.caCert()));
        data.put(CaCerts.CA_KEY, encode(caCerts.caKey()));
        data.put(CaCerts.CERT_CHAIN, encode(caCerts.certChain()));
        data.put(CaCerts.ROOT_CERT, encode(caCerts.rootCert()));
        SecretBuilder builder = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "meshfed")
                .endMetadata()
                .withType("Opaque")
                .withData(data);
        if (caCerts.requestId() != null) {
            builder.editMetadata().addToAnnotations(REQUEST_ID_ANNOTATION, caCerts.requestId())
                    .addToAnnotations(CSR_ANNOTATION, caCerts.csr()).endMetadata();
        }
        Secret secret = builder.build();
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

    private static String encode(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
