package io.meshfed.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolverRegistry;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.internal.JsonParser;
import io.grpc.stub.ServerCalls;
import io.grpc.xds.XdsChannelCredentials;
import io.grpc.xds.XdsNameResolverProvider;
import io.grpc.xds.XdsServerBuilder;
import io.grpc.xds.XdsServerCredentials;
import io.meshfed.testsupport.peers.Istiod;
import io.meshfed.testsupport.peers.KubeApiServer;
import io.meshfed.testsupport.peers.PeerLogsOnFailure;
import io.meshfed.testsupport.peers.PeerProcess;
import io.meshfed.testsupport.peers.Peers;
import io.meshfed.xds.GrpcXdsWorkload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An AccessPolicy enforced by a proxyless gRPC server through real istiods. Each cluster's CSR agent installs its
 * intermediate from meshfed's PKI as {@code istio-system/cacerts}, and that cluster's real istiod (a plug-in CA)
 * issues workload certificates to service-account tokens of its own API server, as istio-agent asks for them: a
 * server identity {@code demo/echo} in east, callers {@code web/frontend} and {@code batch/reconciler} in east and
 * {@code web/frontend} in west (the other trust domain, bootstrapped at west's istiod). A grpc-java xDS server ({@link XdsServerBuilder} with
 * {@link XdsServerCredentials}) is east's pod of {@code echo}: its bootstrap is the one istio-agent writes for a
 * proxyless workload (node {@code sidecar~<pod IP>~...}, {@code GENERATOR: grpc}, the pod's labels with
 * {@code security.istio.io/tlsMode: istio}, listener template {@code xds.istio.io/grpc/lds/inbound/%s}, a
 * {@code file_watcher} certificate provider {@code default} over its issued files); so are the callers' (grpc-java
 * xDS clients with {@link XdsChannelCredentials}, each with its own bootstrap through
 * {@link XdsNameResolverProvider#createForTest} under a scheme of its own, so one JVM holds several identities).
 *
 * <p>Without a policy every caller is admitted over mutual TLS (the server answers the SPIFFE ID it saw). With the
 * AccessPolicy admitting {@code web/frontend} of every registered cluster, east's istiod gives the server RBAC in
 * its inbound listener: both frontends are still admitted, the reconciler gets PERMISSION_DENIED. A second ALLOW
 * for the reconciler on the server's own port admits it too; a DENY of west's frontend by method and path refuses
 * that caller though an ALLOW admits it. The mesh-wide default deny in place of both ALLOWs refuses every caller.
 */
@ExtendWith(PeerLogsOnFailure.class)
class RealIstiodAccessEnforcementTest {
    static final String HOST = "echo.demo.svc.east.global:7070";
    /** Calls per caller once the policy holds; every one must go the policy's way. */
    static final int CALLS = 100;

    /** A workload's certificate files as istio-agent writes them and grpc-java's {@code file_watcher} reads them. */
    record Identity(String spiffe, Path certs) {
        Map<String, ?> certificateProviders() {
            return Map.of("default", Map.of("plugin_name", "file_watcher", "config", Map.of(
                    "certificate_file", certs.resolve("cert-chain.pem").toString(),
                    "private_key_file", certs.resolve("key.pem").toString(),
                    "ca_certificate_file", certs.resolve("root-cert.pem").toString(),
                    "refresh_interval", "900s")));
        }
    }

    @Test
    void accessPoliciesAdmitAndDenyProxylessCallersOfBothTrustDomains(@TempDir Path dir) throws Exception {
        String host = RealFleet.hostAddress();
        int port = PeerProcess.freePort();
        Map<String, String> env = new HashMap<>(RealIstiodProxylessFailoverTest.PROXYLESS_ENV);
        env.put(RealIstiodTrustTest.PLUGGED_CA_ENV, "true");
        try (RealFleet fleet = RealFleet.start(dir, new FlatExample.Pod(host, port),
                new FlatExample.Pod("10.2.0.7", 7070))) {
            // what Istio's injection (the grpc-agent template too) gives every mesh pod: the mTLS label, which makes
            // istiod require mutual TLS on a proxyless server's inbound listener
            fleet.apply("east", """
                    apiVersion: v1
                    kind: Pod
                    metadata:
                      name: echo-east-0
                      namespace: demo
                      labels: {app: echo, version: v1, security.istio.io/tlsMode: istio}
                    spec:
                      containers: [{name: echo, image: echo}]
                    """);
            fleet.installPluginCa("east");
            fleet.installPluginCa("west");
            String roots = fleet.meshfedRoots();
            try (Istiod east = fleet.startIstiod("east", Peers.get().istio(), env);
                    Istiod west = fleet.startIstiod("west", Peers.get().istio(), env)) {
                Identity server = issue(fleet, east, roots, "east", "demo", "echo", dir);
                Identity frontend = issue(fleet, east, roots, "east", "web", "frontend", dir);
                Identity reconciler = issue(fleet, east, roots, "east", "batch", "reconciler", dir);
                Identity westFrontend = issue(fleet, west, roots, "west", "web", "frontend", dir);

                Server echo = startXdsServer(east.grpcPort(), host, port, server);
                List<ManagedChannel> channels = new ArrayList<>();
                try {
                    Map<Identity, ManagedChannel> callers = new java.util.LinkedHashMap<>();
                    for (Identity caller : List.of(frontend, reconciler, westFrontend)) {
                        // each caller asks its own cluster's istiod
                        ManagedChannel channel = xdsChannel((caller == westFrontend ? west : east).grpcPort(), caller);
                        channels.add(channel);
                        callers.put(caller, channel);
                    }
                    // without a policy: every caller is admitted, over mutual TLS with its own identity
                    for (var c : callers.entrySet()) {
                        awaitCall(c.getValue(), c.getKey().spiffe()::equals,
                                c.getKey().spiffe() + " is admitted without a policy");
                    }

                    RealIstiodPolicyTest.applyAccess(fleet, "echo-frontend", """
                            destination: {namespace: demo, service: echo}
                            from: [{namespace: web, serviceAccount: frontend}]
                            """);
                    awaitCall(callers.get(reconciler), "PERMISSION_DENIED"::equals,
                            "the server's RBAC from the AccessPolicy denies the reconciler");
                    assertOutcomes(callers, Map.of(frontend, frontend.spiffe(), reconciler, "PERMISSION_DENIED",
                            westFrontend, westFrontend.spiffe()), "frontends only");

                    // a second ALLOW for the reconciler on the workload's port (Istio matches ports where the
                    // server listens, its target port, not the service's 7070); a DENY for west's frontend by
                    // method and path, which Istio evaluates before any ALLOW
                    RealIstiodPolicyTest.applyAccess(fleet, "echo-reconciler", """
                            destination: {namespace: demo, service: echo}
                            from: [{cluster: east, namespace: batch, serviceAccount: reconciler}]
                            to: {ports: [%d]}
                            """.formatted(port));
                    awaitCall(callers.get(reconciler), reconciler.spiffe()::equals,
                            "the reconciler is admitted on the workload's port");
                    RealIstiodPolicyTest.applyAccess(fleet, "echo-no-west-who", """
                            destination: {namespace: demo, service: echo}
                            action: DENY
                            from: [{cluster: west, namespace: web, serviceAccount: frontend}]
                            to: {methods: [POST], paths: ["/meshfed.test.Who/*"]}
                            """);
                    awaitCall(callers.get(westFrontend), "PERMISSION_DENIED"::equals,
                            "the DENY refuses west's frontend");
                    assertOutcomes(callers, Map.of(frontend, frontend.spiffe(), reconciler, reconciler.spiffe(),
                            westFrontend, "PERMISSION_DENIED"), "the reconciler on its port, west's frontend denied");

                    // the mesh-wide default deny in place of both ALLOWs (one change): nobody is admitted
                    Files.delete(fleet.mesh().policyDirectory().resolve("echo-frontend.yaml"));
                    Files.delete(fleet.mesh().policyDirectory().resolve("echo-reconciler.yaml"));
                    RealIstiodPolicyTest.applyAccess(fleet, "lockdown", "defaultDeny: true\n");
                    awaitCall(callers.get(reconciler), "PERMISSION_DENIED"::equals,
                            "the default deny refuses the reconciler, whom no ALLOW admits now");
                    assertOutcomes(callers, Map.of(frontend, "PERMISSION_DENIED", reconciler, "PERMISSION_DENIED",
                            westFrontend, "PERMISSION_DENIED"), "default deny");
                } finally {
                    for (ManagedChannel c : channels) {
                        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                    }
                    echo.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** {@link #CALLS} calls of each caller, every one with its expected outcome. */
    static void assertOutcomes(Map<Identity, ManagedChannel> callers, Map<Identity, String> expected, String what) {
        for (var c : callers.entrySet()) {
            Map<String, Integer> outcomes = RealIstiodPolicyTest.count(c.getValue(), CALLS);
            System.out.println("access policy (" + what + "): " + c.getKey().spiffe() + " over " + CALLS + " calls: "
                    + outcomes);
            assertEquals(Map.of(expected.get(c.getKey()), CALLS), outcomes, what + ": " + c.getKey().spiffe());
        }
    }

    /**
     * Calls until one outcome (the answer, or the failure's status code) passes {@code wanted}, for up to 90 s; the
     * failure names the last outcomes with their status descriptions.
     */
    static void awaitCall(ManagedChannel channel, java.util.function.Predicate<String> wanted, String what)
            throws InterruptedException {
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(90);
        List<String> seen = new ArrayList<>();
        while (java.time.Instant.now().isBefore(deadline)) {
            try {
                String answer = GrpcXdsWorkload.call(channel, 10);
                if (wanted.test(answer)) {
                    return;
                }
                seen.add(answer);
            } catch (io.grpc.StatusRuntimeException e) {
                if (wanted.test(e.getStatus().getCode().toString())) {
                    return;
                }
                StringBuilder cause = new StringBuilder();
                for (Throwable t = e.getCause(); t != null && cause.length() < 2000; t = t.getCause()) {
                    cause.append(" <- ").append(t);
                }
                seen.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription() + cause);
            }
            Thread.sleep(200);
        }
        throw new AssertionError(what + ": not within 90 s; last outcomes " + seen.subList(Math.max(0, seen.size() - 3),
                seen.size()));
    }

    /**
     * What istio-agent does for a workload: a key and CSR, istiod's CreateCertificate with the workload's
     * service-account token (audience istio-ca), and the chain written as {@code cert-chain.pem} (leaf and
     * intermediate), {@code key.pem}, {@code root-cert.pem} (meshfed's roots).
     */
    static Identity issue(RealFleet fleet, Istiod istiod, String roots, String cluster, String namespace,
            String serviceAccount, Path dir) throws Exception {
        String spiffe = RealIstiodTrustTest.spiffe(cluster, namespace, serviceAccount);
        KubeApiServer api = fleet.apiServer(cluster);
        RealIstiodTrustTest.Workload workload = RealIstiodTrustTest.Workload.create(spiffe);
        List<String> chain;
        try (IstioCaClient ca = new IstioCaClient(istiod.secureGrpcPort(), roots)) {
            chain = ca.createCertificate(new IstioCaClient.Request(workload.csrPem(), Duration.ofHours(1), Map.of()),
                    Optional.of(api.serviceAccountToken(namespace, serviceAccount, "istio-ca", Duration.ofHours(1))));
        }
        X509Certificate leaf = RealIstiodTrustTest.certs(chain.get(0)).get(0);
        assertEquals(List.of(List.of(6, spiffe)), RealIstiodTrustTest.sans(leaf), "the issued identity");
        Path certs = Files.createDirectories(dir.resolve("certs").resolve(cluster + "-" + namespace + "-"
                + serviceAccount));
        StringBuilder pem = new StringBuilder();
        for (String c : chain.subList(0, chain.size() - 1)) {
            pem.append(c.endsWith("\n") ? c : c + "\n");
        }
        Files.writeString(certs.resolve("cert-chain.pem"), pem);
        Files.writeString(certs.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(workload.keys().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        Files.writeString(certs.resolve("root-cert.pem"), roots);
        return new Identity(spiffe, certs);
    }

    /** The bootstrap istio-agent writes for a proxyless workload, as grpc-java's parsed JSON. */
    @SuppressWarnings("unchecked")
    static Map<String, ?> bootstrap(int istiodPort, String nodeId, String namespace, Map<String, String> labels,
            Identity identity) throws IOException {
        Map<String, Object> metadata = new TreeMap<>(Map.of("GENERATOR", "grpc", "NAMESPACE", namespace,
                "ISTIO_VERSION", "1.31.0", "LABELS", labels));
        Map<String, Object> b = new TreeMap<>((Map<String, Object>) JsonParser.parse("""
                {"xds_servers": [{"server_uri": "127.0.0.1:%d", "channel_creds": [{"type": "insecure"}],
                                  "server_features": ["xds_v3"]}],
                 "server_listener_resource_name_template": "xds.istio.io/grpc/lds/inbound/%%s"}
                """.formatted(istiodPort)));
        b.put("node", Map.of("id", nodeId, "metadata", metadata));
        b.put("certificate_providers", identity.certificateProviders());
        return b;
    }

    /**
     * east's pod of echo as a proxyless gRPC server: answers each call with the caller's SPIFFE ID as its mutual TLS
     * handshake showed it ({@code plaintext} without one). Returns once istiod's inbound listener is served.
     */
    static Server startXdsServer(int istiodPort, String podIp, int port, Identity identity) throws Exception {
        ServerServiceDefinition who = ServerServiceDefinition.builder("meshfed.test.Who")
                .addMethod(GrpcXdsWorkload.WHO, ServerCalls.asyncUnaryCall((req, obs) -> {
                    obs.onNext(PEER.get());
                    obs.onCompleted();
                })).build();
        CompletableFuture<Void> serving = new CompletableFuture<>();
        Server server = XdsServerBuilder.forPort(port, XdsServerCredentials.create(InsecureServerCredentials.create()))
                .overrideBootstrapForTest(bootstrap(istiodPort, "sidecar~" + podIp + "~echo-east-0.demo~demo.svc.cluster.local",
                        "demo", Map.of("app", "echo", "version", "v1", "security.istio.io/tlsMode", "istio"), identity))
                .xdsServingStatusListener(new XdsServerBuilder.XdsServingStatusListener() {
                    @Override
                    public void onServing() {
                        serving.complete(null);
                    }

                    @Override
                    public void onNotServing(Throwable t) {
                        System.out.println("xDS server not serving: " + t);
                    }
                })
                .addService(ServerInterceptors.intercept(who, new PeerIdentity()))
                .build();
        CompletableFuture.runAsync(() -> {
            try {
                server.start();
            } catch (IOException e) {
                serving.completeExceptionally(e);
            }
        });
        try {
            serving.get(90, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            server.shutdownNow();
            throw new AssertionError("the proxyless server of echo got no inbound listener from istiod in 90 s", e);
        }
        return server;
    }

    static final io.grpc.Context.Key<String> PEER = io.grpc.Context.key("peer-spiffe");

    /** Puts the caller's URI SAN, from the server's side of the TLS session, into the call's context. */
    static final class PeerIdentity implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                ServerCallHandler<Q, A> next) {
            String peer = "plaintext";
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            if (session != null) {
                try {
                    X509Certificate cert = (X509Certificate) session.getPeerCertificates()[0];
                    peer = RealIstiodTrustTest.sans(cert).stream().filter(n -> Integer.valueOf(6).equals(n.get(0)))
                            .map(n -> (String) n.get(1)).findFirst().orElse("no URI SAN");
                } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                    peer = "no client certificate";
                }
            }
            return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(PEER, peer), call, headers, next);
        }
    }

    /**
     * A grpc-java xDS client of {@code identity} bootstrapped at istiod: its own resolver scheme (so its own xDS
     * client and certificate provider), mutual TLS as istiod's cluster says ({@link XdsChannelCredentials}).
     */
    static ManagedChannel xdsChannel(int istiodPort, Identity identity) throws IOException {
        String[] parts = identity.spiffe().split("/");
        String namespace = parts[4];
        String serviceAccount = parts[6];
        String scheme = "xds-" + parts[2].split("\\.")[0] + "-" + serviceAccount;
        NameResolverRegistry.getDefaultRegistry().register(XdsNameResolverProvider.createForTest(scheme,
                bootstrap(istiodPort, "sidecar~127.0.0.9~" + serviceAccount + "-0." + namespace + "~" + namespace
                        + ".svc.cluster.local", namespace, Map.of("app", serviceAccount), identity)));
        return Grpc.newChannelBuilder(scheme + ":///" + HOST,
                XdsChannelCredentials.create(InsecureChannelCredentials.create())).build();
    }
}
