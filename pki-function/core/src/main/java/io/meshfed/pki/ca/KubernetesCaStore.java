package io.meshfed.pki.ca;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshfed.store.ConcurrentChangeException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The CA state as one Opaque Secret ({@code meshfed-pki-ca} by default) in the management cluster.
 *
 * <p>Parsed state is cached by the Secret's resourceVersion, so a reader pays one GET per call and parses
 * keys only after a change. A save is a single replace of the whole Secret carrying the resourceVersion it read:
 * atomic on the API server, and refused with 409 (a {@link ConcurrentChangeException}) when another writer saved
 * in between. Thread-safe.
 */
public final class KubernetesCaStore implements CaStore {
    public static final String DEFAULT_NAME = "meshfed-pki-ca";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final Clock clock;
    private volatile Cached cached;

    private record Cached(String resourceVersion, CaState state) {
    }

    public KubernetesCaStore(KubernetesClient client, String namespace, String name, Clock clock) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.clock = clock;
    }

    @Override
    public Optional<Versioned> read() {
        Secret secret;
        try {
            secret = client.secrets().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new CaStoreException("reading Secret " + namespace + "/" + name + " failed: " + e.getMessage(), e);
        }
        if (secret == null) {
            return Optional.empty();
        }
        String version = secret.getMetadata().getResourceVersion();
        Cached current = cached;
        if (current != null && version != null && version.equals(current.resourceVersion())) {
            return Optional.of(new Versioned(current.state(), version));
        }
        Map<String, String> entries = new LinkedHashMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((k, v) -> entries.put(k,
                    new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        if (secret.getStringData() != null) {
            entries.putAll(secret.getStringData());
        }
        CaState state = Entries.decode(entries, clock);
        cached = new Cached(version, state);
        return Optional.of(new Versioned(state, version));
    }

    @Override
    public CaState initialize(CaState state) {
        try {
            client.secrets().inNamespace(namespace).resource(secret(state)).create();
            return state;
        } catch (KubernetesClientException e) {
            if (e.getCode() == java.net.HttpURLConnection.HTTP_CONFLICT) {
                return load().orElseThrow(() -> new CaStoreException("CA Secret conflicted, then vanished", e));
            }
            throw new CaStoreException("creating Secret " + namespace + "/" + name + " failed with HTTP "
                    + e.getCode(), null);
        }
    }

    @Override
    public void save(CaState state, String expectedVersion) {
        Secret secret = secret(state);
        secret.getMetadata().setResourceVersion(java.util.Objects.requireNonNull(expectedVersion, "expectedVersion"));
        try {
            client.secrets().inNamespace(namespace).resource(secret).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() == java.net.HttpURLConnection.HTTP_CONFLICT
                    || e.getCode() == java.net.HttpURLConnection.HTTP_NOT_FOUND) {
                throw new ConcurrentChangeException("Secret " + namespace + "/" + name + " changed since it was read"
                        + " at resourceVersion " + expectedVersion + " (HTTP " + e.getCode() + "): re-read it", null);
            }
            // The message of a failed write may echo the request body; keep only the status.
            throw new CaStoreException("writing Secret " + namespace + "/" + name + " failed with HTTP "
                    + e.getCode(), null);
        }
    }

    private Secret secret(CaState state) {
        Map<String, String> data = new LinkedHashMap<>();
        Entries.encode(state).forEach((k, v) -> data.put(k,
                Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/part-of", "meshfed")
                .addToLabels("app.kubernetes.io/component", "pki")
                .endMetadata()
                .withType("Opaque")
                .withData(data)
                .build();
    }
}
