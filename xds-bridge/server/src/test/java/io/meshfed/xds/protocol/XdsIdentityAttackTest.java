package io.meshfed.xds.protocol;

import static io.meshfed.xds.protocol.AdsProtocolTest.east;
import static io.meshfed.xds.protocol.AdsProtocolTest.west;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.meshfed.xds.AdsTestClient;
import io.meshfed.xds.BridgeHarness;
import io.meshfed.xds.OpensslCa;
import io.meshfed.xds.cache.TypeUrls;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack suite of the bridge's client identity, through real handshakes and real grpc-java calls: the bridge
 * listens with mutual TLS ({@link AdsTls}: client certificates required, verified against a test root made by
 * openssl), and every attempt to be served as a cluster one's certificate does not name is refused with its own
 * status, while the honest client is served. Plaintext is refused from any address but loopback. (1,000 invented
 * localities staying within bounded node groups: {@link NodeLocalityTest}.)
 */
class XdsIdentityAttackTest {
    static final String DOMAIN = BridgeHarness.DOMAIN;
    static final int CAP = 2;

    @TempDir
    static Path dir;
    static OpensslCa root;
    static OpensslCa.Issued east;
    static BridgeHarness bridge;

    @BeforeAll
    static void start() throws Exception {
        root = OpensslCa.create(dir, "meshfed");
        OpensslCa.Issued server = root.issue("bridge", "DNS:localhost,DNS:*." + DOMAIN + ",IP:127.0.0.1");
        east = root.issue("east", "DNS:east." + DOMAIN);
        bridge = new BridgeHarness(null, CAP, "127.0.0.1",
                new AdsTls(server.certificate(), server.key(), root.certificate()));
        bridge.publish(east(1, "10.1.0.1"), west(true));
    }

    @AfterAll
    static void stop() throws Exception {
        bridge.close();
    }

    static ChannelCredentials withCertificate(OpensslCa.Issued client) throws IOException {
        return TlsChannelCredentials.newBuilder().keyManager(client.certificate().toFile(), client.key().toFile())
                .trustManager(root.certificate().toFile()).build();
    }

    /** A TLS client of the bridge presenting {@code client} (none when null), dialing {@code authority}. */
    static AdsTestClient tlsClient(OpensslCa.Issued client, String authority) throws IOException {
        ChannelCredentials credentials = client == null
                ? TlsChannelCredentials.newBuilder().trustManager(root.certificate().toFile()).build()
                : withCertificate(client);
        return new AdsTestClient(AdsTestClient.channel("localhost", bridge.port(), credentials, authority));
    }

    static Node node(String id, String clusterId) {
        Node.Builder b = Node.newBuilder().setId(id);
        if (clusterId != null) {
            b.setMetadata(Struct.newBuilder().putFields(ClusterIdentifier.CLUSTER_ID,
                    Value.newBuilder().setStringValue(clusterId).build()));
        }
        return b.build();
    }

    static AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse> askCds(AdsTestClient client, Node node) {
        var stream = client.sotw();
        stream.send(DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(TypeUrls.CLUSTER).build());
        return stream;
    }

    /** How a stream ended, and that it got no configuration before. */
    static Status refused(AdsTestClient.Recorded<DiscoveryRequest, DiscoveryResponse> stream) throws Exception {
        Status status = stream.status();
        assertTrue(stream.responses.isEmpty(), "no configuration before the refusal: " + stream.responses);
        return status;
    }

    @Test
    void aCertificateFromACaBelowTheClientCaIsDenied() throws Exception {
        // east's intermediate CA chains to the root the bridge trusts (as a cluster's intermediate chains to the
        // mesh root) and, unconstrained in DNS names, mints a certificate naming west: the handshake accepts the
        // chain, the bridge does not accept its issuer.
        OpensslCa eastIntermediate = root.issueIntermediate("east-intermediate");
        OpensslCa.Issued forged = eastIntermediate.issueWithChain("west-forged", "DNS:west." + DOMAIN);
        try (AdsTestClient client = tlsClient(forged, null)) {
            Status status = refused(askCds(client, node("gw-forged", null)));
            assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
            assertTrue(status.getDescription().contains("not directly by one of the bridge's client CAs"),
                    status.getDescription());
        }
    }

    @Test
    void aCaCertificateNamingAClusterIsNotAClientCertificate() throws Exception {
        // Issued directly by the client CA and naming east, but a CA: whoever holds its key could mint more.
        OpensslCa.Issued ca = root.issue("east-as-ca", "DNS:east." + DOMAIN,
                "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,digitalSignature\n");
        try (AdsTestClient client = tlsClient(ca, null)) {
            Status status = refused(askCds(client, node("gw-ca", null)));
            assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
            assertTrue(status.getDescription().contains("is a CA certificate"), status.getDescription());
        }
    }

    @Test
    void aCertificateWithoutClientAuthenticationUseIsRefused() throws Exception {
        OpensslCa.Issued serverOnly = root.issue("east-server-only", "DNS:east." + DOMAIN,
                "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n");
        try (AdsTestClient client = tlsClient(serverOnly, null)) {
            Status status = refused(askCds(client, node("gw-server-only", null)));
            assertTrue(status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.PERMISSION_DENIED,
                    "the handshake or the bridge refuses it: " + status);
        }
    }

    @Test
    void theCertificateAloneNamesTheCluster() throws Exception {
        try (AdsTestClient client = tlsClient(east, null)) {
            var stream = askCds(client, node("gw-honest", null));
            assertEquals(2, stream.next().getResourcesCount(), "east's view: echo and west's cart");
            assertTrue(bridge.waitForClient("gw-honest", "east"), "recorded as cluster east: " + bridge.clients.all());
        }
    }

    @Test
    void noClientCertificateFailsTheHandshake() throws Exception {
        long opened = bridge.metrics.streamsOpened.get();
        try (AdsTestClient client = tlsClient(null, null)) {
            Status status = refused(askCds(client, node("gw-anonymous", "east")));
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), "the handshake fails: " + status);
        }
        assertEquals(opened, bridge.metrics.streamsOpened.get(), "no stream reached the bridge");
    }

    @Test
    void aCertificateFromAnotherCaFailsTheHandshake() throws Exception {
        OpensslCa.Issued forged = OpensslCa.create(dir, "rogue").issue("rogue-east", "DNS:east." + DOMAIN);
        long opened = bridge.metrics.streamsOpened.get();
        try (AdsTestClient client = tlsClient(forged, null)) {
            Status status = refused(askCds(client, node("gw-forged", null)));
            assertEquals(Status.Code.UNAVAILABLE, status.getCode(), "the handshake fails: " + status);
        }
        assertEquals(opened, bridge.metrics.streamsOpened.get(), "no stream reached the bridge");
    }

    @Test
    void eastsCertificateClaimingWestThroughTheAuthorityIsDenied() throws Exception {
        try (AdsTestClient client = tlsClient(east, "west." + DOMAIN)) {
            Status status = refused(askCds(client, node("gw-host-liar", null)));
            assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
            assertEquals(":authority 'west." + DOMAIN + "' names cluster 'west', which does not match the client"
                    + " certificate's cluster 'east'", status.getDescription());
        }
    }

    @Test
    void eastsCertificateClaimingWestThroughClusterIdIsDenied() throws Exception {
        try (AdsTestClient client = tlsClient(east, null)) {
            Status status = refused(askCds(client, node("gw-id-liar", "west")));
            assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
            assertEquals("node metadata CLUSTER_ID 'west' does not match the client certificate's cluster 'east'",
                    status.getDescription());
        }
    }

    @Test
    void aCertificateOfMeshfedsRootNamingNoClusterIsDenied() throws Exception {
        OpensslCa.Issued nameless = root.issue("nameless", "DNS:istiod.istio-system.svc");
        try (AdsTestClient client = tlsClient(nameless, "east." + DOMAIN)) {
            Status status = refused(askCds(client, node("gw-nameless", "east")));
            assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), status.toString());
            assertEquals("the client certificate 'CN=nameless' must name exactly one cluster with a DNS name <cluster>."
                    + DOMAIN + ", it names none", status.getDescription());
        }
    }

    @Test
    void streamsOfOneCertifiedClusterAreCapped() throws Exception {
        OpensslCa.Issued westCert = root.issue("west", "DNS:west." + DOMAIN);
        try (AdsTestClient client = tlsClient(westCert, null)) {
            for (int i = 1; i <= CAP; i++) {
                askCds(client, node("gw-west-" + i, null)).next();
            }
            Status status = refused(askCds(client, node("gw-west-3", null)));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
            assertEquals("cluster 'west' already has " + CAP + " open xDS streams, the most the bridge serves per"
                    + " cluster (node 'gw-west-3')", status.getDescription());
        }
    }

    @Test
    void plaintextIsRefusedFromAnotherHostAndServedOnLoopback() throws Exception {
        Optional<InetAddress> lan = nonLoopbackAddress();
        Assumptions.assumeTrue(lan.isPresent(), "this machine has no non-loopback IPv4 address");
        String address = lan.get().getHostAddress();
        try (BridgeHarness plaintext = new BridgeHarness(null, CAP, "0.0.0.0", null)) {
            plaintext.publish(east(1, "10.1.0.1"), west(true));
            try (AdsTestClient fromLan = new AdsTestClient(AdsTestClient.channel(address, plaintext.port(),
                    InsecureChannelCredentials.create(), "east." + DOMAIN))) {
                Status status = refused(askCds(fromLan, node("gw-lan", "east")));
                assertEquals(Status.Code.UNAUTHENTICATED, status.getCode(), status.toString());
                assertEquals("plaintext xDS is accepted only from loopback (local mode); " + address + " must connect"
                        + " with TLS and a client certificate naming its cluster", status.getDescription());
            }
            try (AdsTestClient fromLoopback = new AdsTestClient(plaintext.port(), "east." + DOMAIN)) {
                assertEquals(2, askCds(fromLoopback, node("gw-loopback", null)).next().getResourcesCount(),
                        "the same port serves loopback plaintext by its :authority");
            }
        }
    }

    /** An up, non-loopback IPv4 address of this machine: connecting to it from here comes from it. */
    static Optional<InetAddress> nonLoopbackAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }
}
