package io.meshfed.xds.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.vertx.grpc.common.GrpcStatus;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication of the transport, then the cluster from the client certificate, which claims (node metadata, the
 * dialed host) may only agree with; on loopback plaintext the claims alone. The certificates are real X.509
 * certificates made by the JDK's keytool with DNS SANs (the TLS handshake that verifies them is exercised by
 * {@link XdsIdentityAttackTest}).
 */
class ClusterIdentifierTest {
    final ClusterIdentifier ids = new ClusterIdentifier("xds.meshfed.example");

    static Node node(String clusterId) {
        Node.Builder b = Node.newBuilder().setId("sidecar~10.0.0.1~istiod.istio-system~x");
        if (clusterId != null) {
            b.setMetadata(Struct.newBuilder().putFields("CLUSTER_ID", Value.newBuilder().setStringValue(clusterId).build()));
        }
        return b.build();
    }

    static final PeerIdentity LOOPBACK = new PeerIdentity.Loopback("127.0.0.1");

    @Test
    void onLoopbackPlaintextTheHostNameUnderTheDomainNamesTheCluster() {
        assertEquals("east", ids.identify(node(null), "east.xds.meshfed.example", LOOPBACK));
        assertEquals("east", ids.identify(node(null), "EAST.xds.meshfed.example", LOOPBACK));
        XdsStatusException e = assertThrows(XdsStatusException.class,
                () -> ids.identify(node(null), "a.b.xds.meshfed.example", LOOPBACK));
        assertEquals(GrpcStatus.FAILED_PRECONDITION, e.status());
        assertThrows(XdsStatusException.class, () -> ids.identify(node(null), "127.0.0.1", LOOPBACK));
    }

    @Test
    void onLoopbackPlaintextAnExplicitClusterIdWinsOverTheHost() {
        assertEquals("west", ids.identify(node("west"), "east.xds.meshfed.example", LOOPBACK));
    }

    @Test
    void plaintextIsAcceptedOnlyFromLoopbackLiterals() {
        assertEquals(new PeerIdentity.Loopback("127.0.0.1"), ids.authenticate(null, "127.0.0.1"));
        assertEquals(new PeerIdentity.Loopback("127.8.9.10"), ids.authenticate(null, "127.8.9.10"));
        assertEquals(new PeerIdentity.Loopback("::1"), ids.authenticate(null, "::1"));
        assertEquals(new PeerIdentity.Loopback("::ffff:127.0.0.1"), ids.authenticate(null, "::ffff:127.0.0.1"));
        for (String remote : new String[] {"10.0.0.7", "::ffff:10.0.0.7", "fe80::1", "localhost", "", null}) {
            XdsStatusException e = assertThrows(XdsStatusException.class, () -> ids.authenticate(null, remote),
                    String.valueOf(remote));
            assertEquals(GrpcStatus.UNAUTHENTICATED, e.status(), String.valueOf(remote));
        }
        assertEquals("plaintext xDS is accepted only from loopback (local mode); 10.0.0.7 must connect with TLS and"
                + " a client certificate naming its cluster",
                assertThrows(XdsStatusException.class, () -> ids.authenticate(null, "10.0.0.7")).getMessage());
    }

    @Test
    void theClientCertificateNamesTheClusterAndClaimsMayOnlyAgree(@TempDir Path dir) throws Exception {
        SSLSession tls = session(certificate(dir, "dns:west.xds.meshfed.example,dns:other.example"));
        PeerIdentity peer = ids.authenticate(tls, "10.0.0.7");
        assertEquals(new PeerIdentity.Certified("west"), peer);
        assertEquals("west", ids.identify(node(null), null, peer));
        assertEquals("west", ids.identify(node("west"), "west.xds.meshfed.example", peer));
        assertEquals("west", ids.identify(node(null), "bridge.example", peer), "a host outside the domain claims nothing");

        XdsStatusException byId = assertThrows(XdsStatusException.class, () -> ids.identify(node("east"), null, peer));
        assertEquals(GrpcStatus.PERMISSION_DENIED, byId.status());
        assertEquals("node metadata CLUSTER_ID 'east' does not match the client certificate's cluster 'west'",
                byId.getMessage());
        XdsStatusException byHost = assertThrows(XdsStatusException.class,
                () -> ids.identify(node(null), "east.xds.meshfed.example", peer));
        assertEquals(GrpcStatus.PERMISSION_DENIED, byHost.status());
        assertEquals(":authority 'east.xds.meshfed.example' names cluster 'east', which does not match the client"
                + " certificate's cluster 'west'", byHost.getMessage());
    }

    @Test
    void aCertificateNamingNoClusterOrSeveralIsRefused(@TempDir Path dir) throws Exception {
        XdsStatusException none = assertThrows(XdsStatusException.class,
                () -> ids.authenticate(session(certificate(dir.resolve("a"), "dns:istiod.istio-system.svc")), "::1"));
        assertEquals(GrpcStatus.PERMISSION_DENIED, none.status());
        assertEquals("the client certificate 'CN=istiod' must name exactly one cluster with a DNS name"
                + " <cluster>.xds.meshfed.example, it names none", none.getMessage());
        XdsStatusException two = assertThrows(XdsStatusException.class, () -> ids.authenticate(session(certificate(
                dir.resolve("b"), "dns:east.xds.meshfed.example,dns:west.xds.meshfed.example")), "::1"));
        assertEquals(GrpcStatus.PERMISSION_DENIED, two.status());
        assertTrue(two.getMessage().endsWith("it names [east, west]"), two.getMessage());
    }

    @Test
    void aTlsSessionWithoutAPeerCertificateIsUnauthenticated() {
        XdsStatusException e = assertThrows(XdsStatusException.class, () -> ids.authenticate(session(null), "::1"));
        assertEquals(GrpcStatus.UNAUTHENTICATED, e.status());
        assertEquals("a client certificate is required: present one issued by meshfed whose DNS name is"
                + " <cluster>.xds.meshfed.example", e.getMessage());
    }

    static X509Certificate certificate(Path dir, String san) throws Exception {
        Files.createDirectories(dir);
        Path ks = dir.resolve("client.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "client", "-keyalg", "EC", "-dname", "CN=istiod", "-ext", "SAN=" + san,
                "-validity", "1", "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            store.load(in, "changeit".toCharArray());
        }
        assertEquals(true, Files.exists(ks));
        return (X509Certificate) store.getCertificate("client");
    }

    /** The TLS session as Vert.x hands it over: only the peer certificates matter here. */
    static SSLSession session(X509Certificate peer) {
        return new SSLSession() {
            public Certificate[] getPeerCertificates() throws SSLPeerUnverifiedException {
                if (peer == null) {
                    throw new SSLPeerUnverifiedException("peer not authenticated");
                }
                return new Certificate[] {peer};
            }

            public byte[] getId() {
                return new byte[0];
            }

            public SSLSessionContext getSessionContext() {
                return null;
            }

            public long getCreationTime() {
                return 0;
            }

            public long getLastAccessedTime() {
                return 0;
            }

            public void invalidate() {
            }

            public boolean isValid() {
                return true;
            }

            public void putValue(String name, Object value) {
            }

            public Object getValue(String name) {
                return null;
            }

            public void removeValue(String name) {
            }

            public String[] getValueNames() {
                return new String[0];
            }

            public Certificate[] getLocalCertificates() {
                return null;
            }

            public Principal getPeerPrincipal() {
                return peer == null ? null : peer.getSubjectX500Principal();
            }

            public Principal getLocalPrincipal() {
                return null;
            }

            public String getCipherSuite() {
                return "TLS_AES_128_GCM_SHA256";
            }

            public String getProtocol() {
                return "TLSv1.3";
            }

            public String getPeerHost() {
                return "127.0.0.1";
            }

            public int getPeerPort() {
                return 0;
            }

            public int getPacketBufferSize() {
                return 0;
            }

            public int getApplicationBufferSize() {
                return 0;
            }
        };
    }
}
