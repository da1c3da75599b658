package io.meshfed.pki.agent;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
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
        return Optional.of(new CaCerts(AgentSecrets.decode(data.get(CaCerts.CA_CERT)), AgentSecrets.decode(data.get(CaCerts.CA_KEY)),
                AgentSecrets.decode(data.get(CaCerts.CERT_CHAIN)), AgentSecrets.decode(data.get(CaCerts.ROOT_CERT)),
                annotations.get(REQUEST_ID_ANNOTATION), annotations.get(CSR_ANNOTATION)));
    }

    @Override
    public void write(CaCerts caCerts, String expectedVersion) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(CaCerts.CA_CERT, AgentSecrets.encode(caCerts.caCert()));
        data.put(CaCerts.CA_KEY, AgentSecrets.encode(caCerts.caKey()));
        data.put(CaCerts.CERT_CHAIN, AgentSecrets.encode(caCerts.certChain()));
        data.put(CaCerts.ROOT_CERT, AgentSecrets.encode(caCerts.rootCert()));
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
        AgentSecrets.write(client, secret, expectedVersion);
    }
}
