package io.meshfed.testsupport.peers;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real kube-apiserver on loopback over a shared {@link Etcd} (its own {@code --etcd-prefix}), started with the
 * flags controller-runtime's envtest uses: RBAC, a token file holding one admin token, service-account tokens
 * signed by a key of its own (so TokenRequest and TokenReview work), no controllers. Each simulated cluster gets
 * one; they are independent API servers that happen to share an etcd process.
 *
 * <p>Thread-safe: the clients it hands out are fabric8's, which are.
 */
public final class KubeApiServer implements AutoCloseable {
    /** The audience and issuer of its service-account tokens. */
    public static final String ISSUER = "https://kubernetes.default.svc.cluster.local";

    private final String name;
    private final PeerProcess process;
    private final String url;
    private final String adminToken;
    private final PeerTls tls;
    private final Path dir;
    private final KubernetesClient admin;

    private KubeApiServer(String name, PeerProcess process, String url, String adminToken, PeerTls tls, Path dir) {
        this.name = name;
        this.process = process;
        this.url = url;
        this.adminToken = adminToken;
        this.tls = tls;
        this.dir = dir;
        this.admin = new KubernetesClientBuilder().withConfig(config(adminToken)).build();
    }

    /** Starts an API server named {@code name} (a simulated cluster) on {@code etcd}; ready when this returns. */
    public static KubeApiServer start(String name, Etcd etcd) {
        Peers peers = Peers.get();
        try {
            Path dir = Files.createTempDirectory("meshfed-apiserver-" + name);
            PeerTls tls = PeerTls.create("kube-apiserver-" + name, List.of("localhost"), List.of("127.0.0.1"));
            Files.writeString(dir.resolve("serving.crt"), tls.certificatePem() + tls.caPem());
            Files.writeString(dir.resolve("serving.key"), tls.keyPem());
            PeerTls.KeyPem sa = PeerTls.ecKey();
            Files.writeString(dir.resolve("sa.key"), sa.privatePem());
            Files.writeString(dir.resolve("sa.pub"), sa.publicPem());
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            String token = HexFormat.of().formatHex(random);
            Files.writeString(dir.resolve("tokens.csv"), token + ",meshfed-test-admin,meshfed-test-admin,\"system:masters\"\n");
            for (String f : List.of("serving.key", "sa.key", "tokens.csv")) {
                Files.setPosixFilePermissions(dir.resolve(f), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
            int port = PeerProcess.freePort();
            List<String> cmd = new ArrayList<>(List.of(peers.binary("kube-apiserver.binary").toString(),
                    "--etcd-servers=" + etcd.url(), "--etcd-prefix=/meshfed-test/" + name,
                    "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + port,
                    "--cert-dir=" + dir.resolve("certs"),
                    "--tls-cert-file=" + dir.resolve("serving.crt"), "--tls-private-key-file=" + dir.resolve("serving.key"),
                    "--token-auth-file=" + dir.resolve("tokens.csv"),
                    "--authorization-mode=RBAC",
                    "--service-account-issuer=" + ISSUER,
                    "--service-account-key-file=" + dir.resolve("sa.pub"),
                    "--service-account-signing-key-file=" + dir.resolve("sa.key"),
                    "--service-cluster-ip-range=10.96.0.0/16",
                    "--allow-privileged=true",
                    // no controller-manager runs, so nothing creates the 'default' ServiceAccount a Pod would need
                    "--disable-admission-plugins=ServiceAccount",
                    "--endpoint-reconciler-type=none",
                    "--enable-priority-and-fairness=false",
                    "--profiling=false",
                    "--v=1"));
            PeerProcess p = PeerProcess.start("kube-apiserver-" + name, cmd, dir, Map.of());
            String url = "https://127.0.0.1:" + port;
            HttpClient http = HttpClient.newBuilder().sslContext(tls.clientContext()).connectTimeout(Duration.ofSeconds(1))
                    .build();
            p.awaitReady("ready (/readyz)", Duration.ofSeconds(120), () -> {
                try {
                    return http.send(HttpRequest.newBuilder(URI.create(url + "/readyz"))
                            .header("Authorization", "Bearer " + token).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            });
            KubeApiServer server = new KubeApiServer(name, p, url, token, tls, dir);
            server.admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("istio-system")
                    .endMetadata().build()).serverSideApply();
            return server;
        } catch (IOException e) {
            throw new PeerException("cannot prepare kube-apiserver '" + name + "': " + e.getMessage(), e);
        }
    }

    private Config config(String token) {
        return new ConfigBuilder().withMasterUrl(url).withOauthToken(token).withCaCertData(
                java.util.Base64.getEncoder().encodeToString(tls.caPem().getBytes(StandardCharsets.US_ASCII)))
                .withNamespace("default").withRequestTimeout(30_000).withConnectionTimeout(5_000).build();
    }

    /** The simulated cluster's name. */
    public String name() {
        return name;
    }

    /** {@code https://127.0.0.1:port}. */
    public String url() {
        return url;
    }

    /** PEM of the CA that signed the serving certificate. */
    public String caPem() {
        return tls.caPem();
    }

    /** A token of {@code system:masters}. */
    public String adminToken() {
        return adminToken;
    }

    /** A client acting as cluster admin. */
    public KubernetesClient admin() {
        return admin;
    }

    /** A client that authenticates with {@code token} (e.g. a ServiceAccount's), so RBAC applies to it. */
    public KubernetesClient clientWithToken(String token) {
        return new KubernetesClientBuilder().withConfig(config(token)).build();
    }

    /** A kubeconfig file for the admin, for programs such as istiod and kubectl. */
    public Path kubeconfig() {
        return kubeconfig(adminToken, "admin");
    }

    /** A kubeconfig file that authenticates with {@code token}. */
    public Path kubeconfig(String token, String label) {
        String ca = java.util.Base64.getEncoder().encodeToString(tls.caPem().getBytes(StandardCharsets.US_ASCII));
        String yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: " + name + "\n  cluster:\n    server: " + url
                + "\n    certificate-authority-data: " + ca + "\nusers:\n- name: " + label + "\n  user:\n    token: " + token
                + "\ncontexts:\n- name: " + name + "\n  context:\n    cluster: " + name + "\n    user: " + label
                + "\ncurrent-context: " + name + "\n";
        try {
            Path f = dir.resolve("kubeconfig-" + label);
            Files.writeString(f, yaml);
            Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            return f;
        } catch (IOException e) {
            throw new PeerException("cannot write kubeconfig: " + e.getMessage(), e);
        }
    }

    /** Creates the ServiceAccount if missing and returns a token for it (TokenRequest) with {@code audience}. */
    public String serviceAccountToken(String namespace, String serviceAccount, String audience, Duration validity) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                .serverSideApply();
        admin.serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder().withNewMetadata()
                .withName(serviceAccount).withNamespace(namespace).endMetadata().build()).serverSideApply();
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withAudiences(audience)
                .withExpirationSeconds(validity.toSeconds()).endSpec().build();
        return admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount).tokenRequest(request)
                .getStatus().getToken();
    }

    /** Applies every object of a YAML file (server-side apply); CRDs are awaited until Established. */
    public List<HasMetadata> apply(Path yaml) {
        try (InputStream in = Files.newInputStream(yaml)) {
            List<HasMetadata> objects = admin.load(in).items();
            List<HasMetadata> applied = new ArrayList<>();
            for (HasMetadata o : objects) {
                if (o == null) {
                    continue;
                }
                applied.add(admin.resource(o).forceConflicts().serverSideApply());
            }
            for (HasMetadata o : applied) {
                if (o instanceof CustomResourceDefinition crd) {
                    admin.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                            .waitUntilCondition(c -> c != null && c.getStatus() != null
                                    && c.getStatus().getConditions() != null // a just-created CRD has none yet
                                    && c.getStatus().getConditions().stream().anyMatch(
                                            s -> "Established".equals(s.getType()) && "True".equals(s.getStatus())),
                                    60, TimeUnit.SECONDS);
                }
            }
            return applied;
        } catch (IOException e) {
            throw new PeerException("cannot read " + yaml + ": " + e.getMessage(), e);
        }
    }

    public PeerProcess process() {
        return process;
    }

    @Override
    public void close() {
        admin.close();
        process.close();
        TempDirs.delete(dir);
    }
}
