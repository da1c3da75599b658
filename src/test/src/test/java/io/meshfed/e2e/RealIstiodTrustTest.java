package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.meshfed.pki.agent.AgentSettings;
import io.meshfed.pki.agent.CaCerts;
import io.meshfed.pki.agent.CsrAgent;
import io.meshfed.pki.agent.HttpCsrClient;
import io.meshfed.pki.agent.KubernetesCaCertsStore;
import io.meshfed.pki.ca.FileCaStore;
import io.meshfed.pki.ca.Pems;
import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.Peers;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXReason;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Shared trust through real istiods (issue 13, test 4). Each workload cluster's CSR agent runs against that
 * cluster's real kube-apiserver, as its own ServiceAccount bound to the Role shipped in
 * {@code knative/workload/csr-agent.yaml}, and gets its intermediate signed by meshfed's PKI (local mode, through
 * the broker); it writes {@code istio-system/cacerts}. A real istiod started with {@code USE_REMOTE_CERTS=true} on
 * that API server takes the Secret as its plug-in CA; a workload CSR sent to its CA service (the 15012 port) with a
 * service-account token that the API server's TokenReview accepts comes back as a chain that {@code openssl verify}
 * accepts under meshfed's root (read from the PKI's own store, not from the Secret), through the cluster's own
 * intermediate.
 *
 * <p>What istiod refuses, and what it does not: it refuses callers it cannot authenticate (no token, a token for
 * another audience, a token of another cluster's API server) and impersonation, each with {@code UNAUTHENTICATED}
 * and nothing signed (its own {@code citadel_server_*} counters prove it). It does <em>not</em> refuse a CSR whose
 * SAN names another trust domain: istiod never reads a CSR's SANs; it issues for the caller's identity, built from
 * the TokenReview result and its mesh config's trust domain. What keeps a cluster from vouching for a foreign SPIFFE
 * ID is meshfed's name constraint on the intermediate: an istiod misconfigured with the other cluster's trust domain
 * does issue such a certificate, and {@code openssl verify} (as Envoy's BoringSSL would) refuses it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(PeerLogsOnFailure.class)
class RealIstiodTrustTest {
    static final List<String> CLUSTERS = List.of("east", "west");
    static final String PLUGGED_CA_ENV = "USE_REMOTE_CERTS";
    static final Duration WORKLOAD_TTL = Duration.ofHours(1);

    RealFleet fleet;
    /** meshfed's trust bundle as the PKI stores it: the roots everything must chain to. */
    String meshfedRoots;
    /** What each agent installed, read back from its API server. */
    final Map<String, CaCerts> installed = new LinkedHashMap<>();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        // no traffic flows here, so the pods are addresses only (the API server refuses loopback in EndpointSlices)
        fleet = RealFleet.start(dir, new FlatExample.Pod("10.1.0.7", 7070), new FlatExample.Pod("10.2.0.7", 7070));
        meshfedRoots = new FileCaStore(dir.resolve("state/pki/ca.json"), Clock.systemUTC()).load()
                .orElseThrow(() -> new AssertionError("the PKI stored no CA state")).trustBundlePem();
        for (String cluster : CLUSTERS) {
            installed.put(cluster, runAgent(cluster));
        }
    }

    @AfterAll
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    static Stream<Peers.IstioVersion> versions() {
        return Peers.get().istioVersions().stream();
    }

    static String trustDomain(String cluster) {
        return cluster + ".e2e.meshfed.example";
    }

    static String spiffe(String cluster, String namespace, String serviceAccount) {
        return "spiffe://" + trustDomain(cluster) + "/ns/" + namespace + "/sa/" + serviceAccount;
    }

    // ---------------------------------------------------------------------------------------------------------
    // the agent

    /**
     * Applies the agent's ServiceAccount, Role and RoleBinding from the shipped manifest (not its Deployment: no
     * controller runs here), runs one reconcile as that ServiceAccount, and returns the Secret it wrote.
     */
    CaCerts runAgent(String cluster) throws IOException {
        KubeApiServer api = fleet.apiServer(cluster);
        KubernetesClient admin = api.admin();
        fleet.applyCsrAgentRbac(cluster);
        String token = api.serviceAccountToken("istio-system", "meshfed-csr-agent", KubeApiServer.ISSUER,
                Duration.ofHours(1));
        // What kubelet projects for the PKI (csr-agent.yaml): the same ServiceAccount, audience meshfed-pki.
        String pkiToken = api.serviceAccountToken("istio-system", "meshfed-csr-agent", "meshfed-pki",
                Duration.ofHours(1));
        try (KubernetesClient asAgent = api.clientWithToken(token)) {
            CsrAgent agent = new CsrAgent(AgentSettings.defaults(cluster, trustDomain(cluster)),
                    new HttpCsrClient(fleet.mesh().brokerUrl(), "meshfed/csr-agent/" + cluster,
                            HttpCsrClient.Encoding.BINARY, Duration.ofSeconds(10)), () -> pkiToken,
                    new KubernetesCaCertsStore(asAgent, "istio-system", "cacerts"), Clock.systemUTC(), new Random(),
                    List.of());
            agent.reconcile();
            // the Role is what let it write: it grants nothing beyond cacerts (create aside)
            KubernetesClientException refused = assertThrows(KubernetesClientException.class,
                    () -> asAgent.secrets().inNamespace("istio-system").withName("istio-ca-secret").get());
            assertEquals(403, refused.getCode(), cluster + ": the agent's Role reaches only cacerts");
        }
        Secret secret = admin.secrets().inNamespace("istio-system").withName("cacerts").get();
        assertTrue(secret != null, cluster + ": the agent wrote istio-system/cacerts; progress " + fleet.progress());
        assertEquals(Set.of(CaCerts.CA_CERT, CaCerts.CA_KEY, CaCerts.CERT_CHAIN, CaCerts.ROOT_CERT),
                secret.getData().keySet(), cluster + ": exactly Istio's four plug-in CA files");
        Map<String, String> data = new LinkedHashMap<>();
        secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        CaCerts caCerts = new CaCerts(data.get(CaCerts.CA_CERT), data.get(CaCerts.CA_KEY), data.get(CaCerts.CERT_CHAIN),
                data.get(CaCerts.ROOT_CERT), null, null);
        assertEquals(certs(meshfedRoots), certs(caCerts.rootCert()), cluster + ": root-cert.pem is meshfed's bundle");
        List<X509Certificate> chain = certs(caCerts.certChain());
        assertEquals(intermediate(caCerts), chain.get(0), cluster + ": cert-chain.pem starts with ca-cert.pem");
        assertEquals(certs(meshfedRoots).get(0), chain.get(chain.size() - 1), cluster + ": and ends with the root");
        return caCerts;
    }

    // ---------------------------------------------------------------------------------------------------------
    // tests

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void eachClustersIstiodSignsWorkloadsUnderMeshfedsRoot(Peers.IstioVersion version) throws Exception {
        for (String cluster : CLUSTERS) {
            try (Istiod istiod = startWithPluggedCa(cluster, version, fleet.meshConfig(cluster));
                    IstioCaClient ca = new IstioCaClient(istiod.secureGrpcPort(), meshfedRoots)) {
                assertUsesPluggedCa(istiod, cluster);
                String identity = spiffe(cluster, "demo", "echo");
                Workload workload = Workload.create(identity);
                String token = fleet.apiServer(cluster).serviceAccountToken("demo", "echo", "istio-ca", Duration.ofHours(1));

                List<String> chain = ca.createCertificate(
                        new IstioCaClient.Request(workload.csrPem(), WORKLOAD_TTL, Map.of()), Optional.of(token));

                X509Certificate leaf = assertIssued(cluster, chain, workload, identity);
                assertTrue(leaf.getNotAfter().toInstant().isBefore(Instant.now().plus(WORKLOAD_TTL)
                        .plusSeconds(60)), cluster + ": the requested lifetime is honoured");
                Verdict verdict = opensslVerify(cluster + "-" + version.key(), chain);
                assertEquals(0, verdict.exit(), cluster + ": openssl verify: " + verdict.output());
                assertTrue(verdict.output().contains(": OK"), verdict.output());
            }
        }
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void istiodRefusesCallersItCannotAuthenticateAndSignsOnlyTheCallersOwnIdentity(Peers.IstioVersion version)
            throws Exception {
        KubeApiServer east = fleet.apiServer("east");
        try (Istiod istiod = startWithPluggedCa("east", version, fleet.meshConfig("east"));
                IstioCaClient ca = new IstioCaClient(istiod.secureGrpcPort(), meshfedRoots)) {
            Workload workload = Workload.create(spiffe("east", "demo", "echo"));
            IstioCaClient.Request request = new IstioCaClient.Request(workload.csrPem(), WORKLOAD_TTL, Map.of());
            String eastToken = east.serviceAccountToken("demo", "echo", "istio-ca", Duration.ofHours(1));
            Map<String, Optional<String>> unauthenticated = new LinkedHashMap<>();
            unauthenticated.put("no token", Optional.empty());
            unauthenticated.put("a token for another audience",
                    Optional.of(east.serviceAccountToken("demo", "echo", KubeApiServer.ISSUER, Duration.ofHours(1))));
            unauthenticated.put("a token of west's API server", Optional.of(
                    fleet.apiServer("west").serviceAccountToken("demo", "echo", "istio-ca", Duration.ofHours(1))));
            unauthenticated.put("not a JWT", Optional.of("not-a-token"));

            CaCounters before = CaCounters.read(istiod);
            for (var c : unauthenticated.entrySet()) {
                StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                        () -> ca.createCertificate(request, c.getValue()), c.getKey());
                assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), c.getKey());
                assertEquals("request authenticate failure", e.getStatus().getDescription(), c.getKey());
            }
            // a valid east caller asking, through request metadata, for west's identity: impersonation, refused
            // because no node agent is trusted (CA_TRUSTED_NODE_ACCOUNTS)
            StatusRuntimeException impersonation = assertThrows(StatusRuntimeException.class,
                    () -> ca.createCertificate(new IstioCaClient.Request(workload.csrPem(), WORKLOAD_TTL,
                            Map.of(IstioCaClient.IMPERSONATED_IDENTITY, spiffe("west", "demo", "echo"))),
                            Optional.of(eastToken)));
            assertEquals(Status.Code.UNAUTHENTICATED, impersonation.getStatus().getCode());
            assertEquals("request impersonation authentication failure", impersonation.getStatus().getDescription());
            CaCounters afterRefusals = CaCounters.read(istiod);
            assertEquals(before.issued(), afterRefusals.issued(), "nothing was signed for any refused call");
            assertEquals(before.authFailures() + unauthenticated.size() + 1, afterRefusals.authFailures(),
                    "every refusal counted as an authentication failure");

            // a CSR naming west's trust domain, from a valid east caller: istiod does not read CSR SANs, so it is
            // not refused; the certificate carries the caller's east identity and nothing of the CSR's west one
            Workload foreign = Workload.create(spiffe("west", "demo", "echo"));
            List<String> chain = ca.createCertificate(
                    new IstioCaClient.Request(foreign.csrPem(), WORKLOAD_TTL, Map.of()), Optional.of(eastToken));
            assertIssued("east", chain, foreign, spiffe("east", "demo", "echo"));
            assertEquals(afterRefusals.issued() + 1, CaCounters.read(istiod).issued());
        }
    }

    @Order(3)
    @ParameterizedTest(name = "{0}")
    @MethodSource("versions")
    void aForeignTrustDomainIssuedUnderEastsIntermediateFailsVerification(Peers.IstioVersion version) throws Exception {
        // east's istiod, misconfigured with west's trust domain, issues west identities under east's intermediate
        String misconfigured = fleet.meshConfig("east").replace("trustDomain: " + trustDomain("east"),
                "trustDomain: " + trustDomain("west"));
        assertNotEquals(fleet.meshConfig("east"), misconfigured);
        try (Istiod istiod = startWithPluggedCa("east", version, misconfigured);
                IstioCaClient ca = new IstioCaClient(istiod.secureGrpcPort(), meshfedRoots)) {
            assertUsesPluggedCa(istiod, "east");
            Workload workload = Workload.create(spiffe("west", "demo", "echo"));
            List<String> chain = ca.createCertificate(new IstioCaClient.Request(workload.csrPem(), WORKLOAD_TTL,
                    Map.of()), Optional.of(fleet.apiServer("east").serviceAccountToken("demo", "echo", "istio-ca",
                    Duration.ofHours(1))));
            X509Certificate leaf = assertIssued("east", chain, workload, spiffe("west", "demo", "echo"));

            Verdict verdict = opensslVerify("foreign-" + version.key(), chain);
            assertNotEquals(0, verdict.exit(), verdict.output());
            assertTrue(verdict.output().contains("permitted subtree violation"), verdict.output());
            // the JDK's PKIX validator (name constraints included) agrees
            CertPathValidatorException jdk = assertThrows(CertPathValidatorException.class,
                    () -> pkixValidate(leaf, intermediate(installed.get("east"))));
            assertTrue(String.valueOf(jdk.getMessage()).toLowerCase().contains("name constraint")
                    || jdk.getReason() == PKIXReason.INVALID_NAME, jdk.toString());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // istiod

    Istiod startWithPluggedCa(String cluster, Peers.IstioVersion version, String meshConfig) {
        // the root ConfigMap istiod writes is checked below: make sure it is this istiod's
        fleet.apiServer(cluster).admin().configMaps().inNamespace("demo").withName("istio-ca-root-cert").delete();
        return Istiod.start(new Istiod.Settings(cluster, version, fleet.apiServer(cluster), meshConfig,
                Map.of(PLUGGED_CA_ENV, "true")));
    }

    /**
     * istiod took the agent's Secret as its CA: it says so, copied exactly the Secret's files, serves a certificate
     * issued by the cluster's intermediate that verifies under meshfed's root alone, and publishes meshfed's roots
     * to workloads (the {@code istio-ca-root-cert} ConfigMap its namespace controller writes).
     */
    void assertUsesPluggedCa(Istiod istiod, String cluster) throws Exception {
        CaCerts caCerts = installed.get(cluster);
        String log = istiod.process().logText();
        assertTrue(log.contains("cacerts Secret found in config cluster"), cluster + ": istiod read the Secret");
        assertTrue(log.contains("Use local CA certificate"), cluster + ": istiod uses the plug-in CA");
        assertFalse(log.contains("Use self-signed certificate as the CA certificate"), cluster + ": and no self-signed root");

        Path dir = istiod.workDir().resolve("etc/cacerts");
        Set<String> files = new TreeSet<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.forEach(p -> files.add(p.getFileName().toString()));
        }
        assertEquals(new TreeSet<>(Set.of(CaCerts.CA_CERT, CaCerts.CA_KEY, CaCerts.CERT_CHAIN, CaCerts.ROOT_CERT)), files);
        assertEquals(caCerts.caCert(), Files.readString(dir.resolve(CaCerts.CA_CERT)));
        assertEquals(caCerts.certChain(), Files.readString(dir.resolve(CaCerts.CERT_CHAIN)));
        assertEquals(caCerts.rootCert(), Files.readString(dir.resolve(CaCerts.ROOT_CERT)));

        List<X509Certificate> served = servedChain(istiod.secureGrpcPort(), meshfedRoots);
        X509Certificate intermediate = intermediate(caCerts);
        assertEquals(intermediate.getSubjectX500Principal(), served.get(0).getIssuerX500Principal(),
                cluster + ": istiod's serving certificate is issued by the cluster's intermediate");
        served.get(0).verify(intermediate.getPublicKey());
        assertTrue(dnsNames(served.get(0)).contains(IstioCaClient.ISTIOD_HOST), cluster + ": " + dnsNames(served.get(0)));

        ConfigMap roots = fleet.apiServer(cluster).admin().configMaps().inNamespace("demo").withName("istio-ca-root-cert")
                .waitUntilCondition(cm -> cm != null && cm.getData() != null && cm.getData().containsKey("root-cert.pem"),
                        90, TimeUnit.SECONDS);
        assertEquals(certs(meshfedRoots), certs(roots.getData().get("root-cert.pem")),
                cluster + ": the roots istiod hands to workloads are meshfed's");
    }

    /**
     * The certificate istiod issued: leaf first, for the workload's key, with exactly {@code identity} as its only
     * SAN; then the cluster's intermediate; the chain ends with meshfed's roots.
     */
    X509Certificate assertIssued(String cluster, List<String> chain, Workload workload, String identity) {
        assertTrue(chain.size() >= 3, cluster + ": leaf, intermediate, root: " + chain.size());
        X509Certificate leaf = certs(chain.get(0)).get(0);
        assertEquals(workload.keys().getPublic(), leaf.getPublicKey(), cluster + ": issued for the workload's key");
        assertEquals(List.of(List.of(6, identity)), sans(leaf), cluster + ": the leaf's SANs");
        assertEquals(-1, leaf.getBasicConstraints(), "a workload certificate is no CA");
        // istiod's own profile (genCertTemplateFromCSR), whatever the CSR asked for
        assertEquals(List.of(true, false, true, false, false, false, false, false, false),
                toList(leaf.getKeyUsage()), "keyUsage digitalSignature, keyEncipherment");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), extendedKeyUsage(leaf), "serverAuth, clientAuth");
        assertEquals(intermediate(installed.get(cluster)), certs(chain.get(1)).get(0),
                cluster + ": the chain continues with the cluster's intermediate");
        assertEquals(certs(meshfedRoots), certs(chain.get(chain.size() - 1)), cluster + ": and ends with meshfed's roots");
        return leaf;
    }

    // ---------------------------------------------------------------------------------------------------------
    // verification

    record Verdict(int exit, String output) {
    }

    /** {@code openssl verify -CAfile <meshfed root> -untrusted <the rest of the chain> <leaf>}. */
    Verdict opensslVerify(String name, List<String> chain) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(fleet.dir().resolve("openssl").resolve(name));
        Path root = Files.writeString(dir.resolve("root.pem"), meshfedRoots);
        Path leaf = Files.writeString(dir.resolve("leaf.pem"), chain.get(0));
        Path untrusted = Files.writeString(dir.resolve("untrusted.pem"), String.join("", chain.subList(1, chain.size())));
        Process p = new ProcessBuilder("openssl", "verify", "-CAfile", root.toString(), "-untrusted", untrusted.toString(),
                leaf.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl verify finished");
        return new Verdict(p.exitValue(), out);
    }

    void pkixValidate(X509Certificate leaf, X509Certificate intermediate) throws GeneralSecurityException {
        Set<TrustAnchor> anchors = new HashSet<>();
        certs(meshfedRoots).forEach(r -> anchors.add(new TrustAnchor(r, null)));
        PKIXParameters parameters = new PKIXParameters(anchors);
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509")
                .generateCertPath(List.of(leaf, intermediate)), parameters);
    }

    /** The chain istiod's secure gRPC port presents, from a handshake that trusts only {@code rootsPem}. */
    static List<X509Certificate> servedChain(int port, String rootsPem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (X509Certificate root : certs(rootsPem)) {
            trust.setCertificateEntry("root-" + i++, root);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(IstioCaClient.ISTIOD_HOST)));
            parameters.setApplicationProtocols(new String[] {"h2"}); // grpc-go insists on ALPN
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            List<X509Certificate> out = new ArrayList<>();
            for (var c : socket.getSession().getPeerCertificates()) {
                out.add((X509Certificate) c);
            }
            return out;
        }
    }

    static List<X509Certificate> certs(String pem) {
        return Pems.certificates(pem, "certificates");
    }

    static X509Certificate intermediate(CaCerts caCerts) {
        return certs(caCerts.caCert()).get(0);
    }

    static List<List<Object>> sans(X509Certificate c) {
        try {
            List<List<Object>> out = new ArrayList<>();
            if (c.getSubjectAlternativeNames() != null) {
                c.getSubjectAlternativeNames().forEach(n -> out.add(List.copyOf(n)));
            }
            return out;
        } catch (CertificateParsingException e) {
            throw new AssertionError("unparseable SANs", e);
        }
    }

    static List<Boolean> toList(boolean[] bits) {
        List<Boolean> out = new ArrayList<>();
        for (boolean b : bits) {
            out.add(b);
        }
        return out;
    }

    static List<String> extendedKeyUsage(X509Certificate c) {
        try {
            return c.getExtendedKeyUsage() == null ? List.of() : List.copyOf(c.getExtendedKeyUsage());
        } catch (CertificateParsingException e) {
            throw new AssertionError("unparseable extendedKeyUsage", e);
        }
    }

    static List<String> dnsNames(X509Certificate c) {
        return sans(c).stream().filter(n -> Integer.valueOf(2).equals(n.get(0))).map(n -> (String) n.get(1)).toList();
    }

    // ---------------------------------------------------------------------------------------------------------
    // the workload and istiod's CA counters

    /** A workload's key pair and its CSR (Bouncy Castle), asking for {@code spiffeId} as its URI SAN. */
    record Workload(KeyPair keys, String csrPem) {
        static Workload create(String spiffeId) throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = generator.generateKeyPair();
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, true,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId)));
            var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("O=meshfed-e2e"), keys.getPublic())
                    .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
            StringWriter pem = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
                writer.writeObject(csr);
            }
            return new Workload(keys, pem.toString());
        }
    }

    /**
     * istiod's own CA counters ({@code security/pkg/server/ca/monitoring.go}) from its Prometheus endpoint: the
     * evidence that a refused call signed nothing.
     */
    record CaCounters(double issued, double authFailures) {
        private static final HttpClient HTTP = HttpClient.newHttpClient();
        private static final Pattern MONITORING = Pattern.compile("--monitoringAddr=127\\.0\\.0\\.1:(\\d+)");

        static CaCounters read(Istiod istiod) throws IOException, InterruptedException {
            // Istiod picks its monitoring port itself; its log starts with the command line
            Matcher m = MONITORING.matcher(istiod.process().logText().lines().findFirst().orElse(""));
            assertTrue(m.find(), "istiod's command line names its monitoring port");
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1)
                    + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), "istiod /metrics");
            return new CaCounters(sum(r.body(), "citadel_server_success_cert_issuance_count"),
                    sum(r.body(), "citadel_server_authentication_failure_count"));
        }

        /** The sample(s) of a counter, whichever suffix the exporter gives it; 0 before its first increment. */
        static double sum(String metrics, String name) {
            Pattern sample = Pattern.compile("^" + name + "(?:_total)?(?:\\{[^}]*\\})?\\s+(\\S+)$");
            return metrics.lines().map(sample::matcher).filter(Matcher::matches)
                    .mapToDouble(x -> Double.parseDouble(x.group(1))).sum();
        }
    }
}
