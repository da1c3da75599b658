package io.meshfed.xds.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cluster identity from the client certificate, node metadata and the dialed host, in that order of strength.
 * The certificate is a real X.509 certificate made by the JDK's keytool with a DNS SAN.
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

    @Test
    void hostNameUnderTheDomainNamesTheCluster() {
        assertEquals("east", ids.identify(node(null), "east.xds.meshfed.example", null));
        assertEquals("east", ids.identify(node(null), "EAST.xds.meshfed.example", null));
        XdsStatusException e = assertThrows(XdsStatusException.class,
                () -> ids.identify(node(null), "a.b.xds.meshfed.example", null));
        assertEquals(GrpcStatus.FAILED_PRECONDITION, e.status());
        assertThrows(XdsStatusException.class, () -> ids.identify(node(null), "127.0.0.1", null));
    }

    @Test
    void explicitClusterIdWinsOverTheHost() {
        assertEquals("west", ids.identify(node("west"), "east.xds.meshfed.example", null));
    }

    @Test
    void clientCertificateIsTheStrongestClaim(@TempDir Path dir) throws Exception {
        X509Certificate cert = certificate(dir, "dns:west.xds.meshfed.example,dns:other.example");
        SSLSession tls = session(cert);
        assertEquals("west", ids.identify(node(null), "east.xds.meshfed.example", tls));
        assertEquals("west", ids.identify(node("west"), null, tls));
        XdsStatusException e = assertThrows(XdsStatusException.class, () -> ids.identify(node("east"), null, tls));
        assertEquals(GrpcStatus.PERMISSION_DENIED, e.status());
        assertEquals("node metadata CLUSTER_ID 'east' does not match the client certificate's cluster 'west'",
                e.getMessage());
    }

    static X509Certificate certificate(Path dir, String san) throws Exception {
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
            public Certificate[] getPeerCertificates() {
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
                return peer.getSubjectX500Principal();
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
