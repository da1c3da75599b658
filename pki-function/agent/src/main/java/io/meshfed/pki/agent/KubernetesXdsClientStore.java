package io.meshfed.pki.agent;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The xDS relay's client material as a {@code kubernetes.io/tls} Secret ({@code tls.crt}, {@code tls.key},
 * {@code ca.crt}), through fabric8: one create, or one full replace carrying the resourceVersion the agent read
 * (409: someone wrote in between). The relay mounts it; the kubelet swaps the files atomically and the relay
 * reloads them for new connections. Thread-safe.
 */
public final class KubernetesXdsClientStore implements XdsClientStore {
    public static final String DEFAULT_NAME = "meshfed-xds-client";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    public KubernetesXdsClientStore(KubernetesClient client, String namespace, String name) {
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
        Map<String, String> data = secret.getData() == null ? Map.of() : secret.getData();
        Optional<XdsClientCertificate> material = data.keySet().containsAll(java.util.Set.of(
                XdsClientCertificate.CERTIFICATE, XdsClientCertificate.KEY, XdsClientCertificate.TRUST_BUNDLE))
                ? Optional.of(new XdsClientCertificate(AgentSecrets.decode(data.get(XdsClientCertificate.CERTIFICATE)),
                        AgentSecrets.decode(data.get(XdsClientCertificate.KEY)), AgentSecrets.decode(data.get(XdsClientCertificate.TRUST_BUNDLE))))
                : Optional.empty();
        return Optional.of(new Versioned(material, secret.getMetadata().getResourceVersion()));
    }

    @Override
    public void write(XdsClientCertificate material, String expectedVersion) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(XdsClientCertificate.CERTIFICATE, AgentSecrets.encode(material.certificateChain()));
        data.put(XdsClientCertificate.KEY, AgentSecrets.encode(material.key()));
        data.put(XdsClientCertificate.TRUST_BUNDLE, AgentSecrets.encode(material.trustBundle()));
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "meshfed")
                .endMetadata()
                .withType("kubernetes.io/tls")
                .withData(data)
                .build();
        AgentSecrets.write(client, secret, expectedVersion);
    }
}
