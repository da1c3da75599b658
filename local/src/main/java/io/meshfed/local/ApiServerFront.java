package io.meshfed.local;

import io.meshfed.pki.ca.Certificates;
import io.meshfed.pki.ca.Pems;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What clients of an example cluster talk to: an HTTPS Kubernetes API on loopback, in front of the object store
 * (fabric8's mock server in CRUD mode, plain HTTP on another loopback port). It adds what the store lacks and real
 * clients need:
 * <ul>
 *   <li>a serving certificate with subject alternative names ({@code DNS:localhost}, {@code IP:127.0.0.1}), which Go
 *       clients such as {@code kubectl} and istiod require (they ignore the common name);</li>
 *   <li>the discovery documents ({@code /api}, {@code /apis}, {@code /api/v1}, each group version) for the kinds
 *       local mode serves, so {@code kubectl get services} resolves its resource type;</li>
 *   <li>authentication: every request must carry one of the cluster's bearer tokens (the one meshfed was registered
 *       with, the CSR agent's); anything else gets 401 and never reaches the store.</li>
 * </ul>
 * Requests and responses are streamed through unchanged, so watches work. Thread-safe (Vert.x event loop).
 */
final class ApiServerFront implements AutoCloseable {
    /** The kinds local mode serves, per group version: what the discovery documents list. */
    private static final Map<String, List<Map<String, Object>>> RESOURCES = Map.of(
            "v1", List.of(
                    resource("services", "Service", true, List.of("svc")),
                    resource("pods", "Pod", true, List.of("po")),
                    resource("nodes", "Node", false, List.of("no"))),
            "discovery.k8s.io/v1", List.of(resource("endpointslices", "EndpointSlice", true, List.of())),
            "multicluster.x-k8s.io/v1alpha1", List.of(resource("serviceexports", "ServiceExport", true, List.of())));

    private final HttpServer server;
    private final HttpClient store;
    private final Set<String> tokens;
    private final String certificatePem;

    private ApiServerFront(HttpServer server, HttpClient store, Set<String> tokens, String certificatePem) {
        this.server = server;
        this.store = store;
        this.tokens = tokens;
        this.certificatePem = certificatePem;
    }

    /**
     * Listens on a free loopback port and forwards to the store at {@code 127.0.0.1:storePort}.
     *
     * @param tokens the bearer tokens this cluster accepts
     */
    static ApiServerFront start(Vertx vertx, int storePort, Set<String> tokens) {
        KeyPair key;
        X509Certificate certificate;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            key = generator.generateKeyPair();
            certificate = selfSigned(key);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the example API server's serving certificate", e);
        }
        String certPem = Pems.encode(certificate);
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(certPem))
                        .addKeyValue(Buffer.buffer(Pems.encodePrivateKey(key.getPrivate()))));
        HttpClient store = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(storePort).setKeepAlive(true));
        HttpServer server = vertx.createHttpServer(options);
        ApiServerFront front = new ApiServerFront(server, store, Set.copyOf(tokens), certPem);
        server.requestHandler(front::handle);
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            store.close();
            throw new IllegalStateException("cannot open the example API server's HTTPS port: " + e, e);
        }
        return front;
    }

    int port() {
        return server.actualPort();
    }

    /** The serving certificate (PEM): self-signed, so it is also the CA clients trust. */
    String certificatePem() {
        return certificatePem;
    }

    private void handle(HttpServerRequest request) {
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization == null || !authorization.startsWith("Bearer ")
                || !knownToken(authorization.substring("Bearer ".length()).strip())) {
            status(request, 401, "Unauthorized", "Unauthorized: a bearer token of this example cluster is required "
                    + "(its kubeconfig is in local mode's state directory)");
            return;
        }
        String path = request.path();
        if ("GET".equals(request.method().name())) {
            Object discovery = discovery(path);
            if (discovery != null) {
                json(request, 200, discovery);
                return;
            }
        }
        forward(request);
    }

    /** Compares in constant time, so the tokens cannot be guessed from response times. */
    private boolean knownToken(String presented) {
        boolean known = false;
        for (String token : tokens) {
            known |= MessageDigest.isEqual(token.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    presented.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return known;
    }

    private static Object discovery(String path) {
        return switch (path) {
            case "/api" -> Map.of("kind", "APIVersions", "versions", List.of("v1"), "serverAddressByClientCIDRs",
                    List.of(Map.of("clientCIDR", "0.0.0.0/0", "serverAddress", "127.0.0.1")));
            case "/apis" -> Map.of("kind", "APIGroupList", "apiVersion", "v1", "groups",
                    RESOURCES.keySet().stream().filter(gv -> gv.contains("/")).sorted().map(ApiServerFront::group).toList());
            default -> {
                String groupVersion = path.equals("/api/v1") ? "v1"
                        : path.startsWith("/apis/") ? path.substring("/apis/".length()) : null;
                List<Map<String, Object>> resources = groupVersion == null ? null : RESOURCES.get(groupVersion);
                yield resources == null ? null : Map.of("kind", "APIResourceList", "apiVersion", "v1",
                        "groupVersion", groupVersion, "resources", resources);
            }
        };
    }

    private static Map<String, Object> group(String groupVersion) {
        String name = groupVersion.substring(0, groupVersion.indexOf('/'));
        Map<String, Object> version = Map.of("groupVersion", groupVersion,
                "version", groupVersion.substring(groupVersion.indexOf('/') + 1));
        return Map.of("name", name, "versions", List.of(version), "preferredVersion", version);
    }

    private static Map<String, Object> resource(String plural, String kind, boolean namespaced, List<String> shortNames) {
        return Map.of("name", plural, "singularName", kind.toLowerCase(java.util.Locale.ROOT), "kind", kind,
                "namespaced", namespaced, "shortNames", shortNames,
                "verbs", List.of("create", "delete", "get", "list", "patch", "update", "watch"));
    }

    private void forward(HttpServerRequest request) {
        request.pause();
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(request.headers());
        headers.remove(HttpHeaders.HOST);
        store.request(new RequestOptions().setMethod(request.method()).setURI(request.uri()).setHeaders(headers))
                .onFailure(e -> status(request, 502, "BadGateway", "the example cluster's store is not answering: " + e))
                .onSuccess(outbound -> outbound.send(request)
                        .onFailure(e -> status(request, 502, "BadGateway", "the example cluster's store failed: " + e))
                        .onSuccess(answer -> {
                            var response = request.response().setStatusCode(answer.statusCode());
                            response.headers().addAll(answer.headers());
                            if (answer.getHeader(HttpHeaders.CONTENT_LENGTH) == null) {
                                response.setChunked(true);
                            }
                            answer.pipeTo(response);
                        }));
    }

    private static void status(HttpServerRequest request, int code, String reason, String message) {
        if (request.response().headWritten()) {
            request.response().reset();
            return;
        }
        json(request, code, Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", reason,
                "code", code, "message", message));
    }

    private static void json(HttpServerRequest request, int code, Object body) {
        request.response().setStatusCode(code).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(io.fabric8.kubernetes.client.utils.Serialization.asJson(body));
    }

    private static X509Certificate selfSigned(KeyPair key) throws Exception {
        Instant now = Instant.now();
        X500Name name = new X500Name("CN=meshfed local example API server");
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                Certificates.randomSerial(new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
                Date.from(now.plus(Duration.ofDays(30))), name, key.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())}));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    }

    @Override
    public void close() {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing: nothing more to serve
        }
        store.close();
    }
}
