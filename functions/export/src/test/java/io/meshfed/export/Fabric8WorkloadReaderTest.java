package io.meshfed.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.client.Config;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class Fabric8WorkloadReaderTest {
    private static final String CA = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
    private static final String CERT = "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n";
    private static final String KEY = "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n";

    private final Fabric8WorkloadReader reader =
            new Fabric8WorkloadReader(null, Duration.ofMillis(1500), Duration.ofSeconds(4));

    @Test
    void aTokenClientUsesOnlyWhatWasRegisteredWithBoundedTimeoutsAndNoRetries() {
        Config config = reader.config(cluster(b64(CA)), ClusterCredentials.ofToken("s3cret"));
        assertEquals("https://east.example.org:6443/", config.getMasterUrl());
        assertEquals(CA, decode(config.getCaCertData()));
        assertEquals("s3cret", config.getOauthToken());
        assertNull(config.getClientCertData());
        assertEquals(1500, config.getConnectionTimeout());
        assertEquals(4000, config.getRequestTimeout());
        assertEquals(0, config.getRequestRetryBackoffLimit());
        assertEquals(false, config.isTrustCerts());
        assertNull(config.getNamespace(), "nothing auto-configured from a kubeconfig or the environment");
    }

    @Test
    void aCertificateClientGetsTheCertificateAndKeyWhetherRegisteredAsPemOrBase64() {
        Config config = reader.config(cluster(CA), new ClusterCredentials(null, b64(CERT), KEY));
        assertEquals(CERT, decode(config.getClientCertData()));
        assertEquals(KEY, decode(config.getClientKeyData()));
        assertNull(config.getOauthToken());
    }

    private static MeshCluster cluster(String caData) {
        return new MeshCluster("east", "net-east", Locality.of("us-east1"), new GatewayAddress("192.0.2.1", 15443),
                "east.example.org", new ApiServerRef("https://east.example.org:6443", caData, "east-credentials"));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }
}
