package io.meshfed.pki.ca;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
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
 * <p>Beside the Secret, ConfigMap {@code <name>-public} holds the certificates only (signer and next chains, the
 * trust bundle): what {@code meshfed pki status} and operators read, so nobody but the PKI function needs the
 * Secret.
 *
 * <p>Parsed state is cached by the Secret's resourceVersion, so a reader pays one GET per call and parses
 * keys only after a change. A save is a single replace of the whole Secret carrying the resourceVersion it read:
 * atomic on the API server, and refused with 409 (a {@link ConcurrentChangeException}) when another writer saved
 * in between. Thread-safe.
 */
public final class KubernetesCaStore implements CaStore {
    public static final String DEFAULT_NAME = "meshfed-pki-ca";
    /** Annotation of the public copy: the Secret resourceVersion it was made from. */
    public static final String SOURCE_VERSION = "meshfed.io/ca-secret-resource-version";
    private static final System.Logger LOG = System.getLogger(KubernetesCaStore.class.getName());

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
        return secret == null ? Optional.empty() : Optional.of(versioned(secret));
    }

    /** The state a read Secret holds, parsed once per resourceVersion. */
    private Versioned versioned(Secret secret) {
        String version = secret.getMetadata().getResourceVersion();
        Cached current = cached;
        if (current != null && version != null && version.equals(current.resourceVersion())) {
            return new Versioned(current.state(), version);
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
        return new Versioned(state, version);
    }

    @Override
    public CaState initialize(CaState state) {
        try {
            Secret created = client.secrets().inNamespace(namespace).resource(secret(state)).create();
            publish(state, created);
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
        Secret updated;
        try {
            updated = client.secrets().inNamespace(namespace).resource(secret).update();
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
        publish(state, updated);
    }

    /** The name of the ConfigMap holding the public part of the CA state stored in Secret {@code secretName}. */
    public static String publicCopyName(String secretName) {
        return secretName + "-public";
    }

    /**
     * Writes the certificates of {@code state} (never a key) to ConfigMap {@code <name>-public} beside the Secret,
     * so status tools read public material only. The Secret is the truth: the copy names the Secret's
     * resourceVersion it was made from, and a failure to write it is logged, not an error of the save (the next
     * save, or {@link #publish()} at the PKI function's start, writes it again).
     */
    private void publish(CaState state, Secret from) {
        Map<String, String> data = new LinkedHashMap<>();
        Entries.encode(state).forEach((k, v) -> {
            if (!k.endsWith("-key.pem")) {
                data.put(k, v);
            }
        });
        ConfigMap copy = new ConfigMapBuilder()
                .withNewMetadata()
                .withName(publicCopyName(name))
                .withNamespace(namespace)
                .addToLabels("app.kubernetes.io/part-of", "meshfed")
                .addToLabels("app.kubernetes.io/component", "pki")
                .addToAnnotations(SOURCE_VERSION, from == null ? "" : from.getMetadata().getResourceVersion())
                .endMetadata()
                .withData(data)
                .build();
        try {
            client.configMaps().inNamespace(namespace).resource(copy)
                    .createOr(io.fabric8.kubernetes.client.dsl.NonDeletingOperation::update);
        } catch (KubernetesClientException e) {
            LOG.log(System.Logger.Level.WARNING, "the CA state is saved, but its public copy ConfigMap {0}/{1} was not"
                    + " written (HTTP {2}); status tools show the previous one until the next save",
                    namespace, publicCopyName(name), e.getCode());
        }
    }

    /** Writes the public copy of the stored state if it is missing or was made from another version. */
    public void publish() {
        Secret secret;
        ConfigMap copy;
        try {
            secret = client.secrets().inNamespace(namespace).withName(name).get();
            copy = client.configMaps().inNamespace(namespace).withName(publicCopyName(name)).get();
        } catch (KubernetesClientException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot check the public copy of the CA state (HTTP {0})", e.getCode());
            return;
        }
        if (secret == null) {
            return;
        }
        String version = secret.getMetadata().getResourceVersion();
        if (copy != null && copy.getMetadata().getAnnotations() != null
                && version.equals(copy.getMetadata().getAnnotations().get(SOURCE_VERSION))) {
            return;
        }
        publish(versioned(secret).state(), secret);
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
