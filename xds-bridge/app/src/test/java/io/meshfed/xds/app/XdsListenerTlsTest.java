package io.meshfed.xds.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.meshfed.xds.protocol.AdsTls;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS on the ADS port is mutual or absent: a certificate without its key or without the client roots is refused. */
class XdsListenerTlsTest {
    record Tls(Optional<String> certFile, Optional<String> keyFile, Optional<String> clientCaFile)
            implements BridgeConfig.Tls {
    }

    @Test
    void allThreeFilesMakeMutualTls(@TempDir Path dir) throws Exception {
        for (String f : new String[] {"tls.crt", "tls.key", "ca.crt"}) {
            Files.writeString(dir.resolve(f), "PEM");
        }
        AdsTls tls = XdsListener.adsTls(new Tls(Optional.of(dir.resolve("tls.crt").toString()),
                Optional.of(dir.resolve("tls.key").toString()), Optional.of(dir.resolve("ca.crt").toString())));
        assertEquals(new AdsTls(dir.resolve("tls.crt"), dir.resolve("tls.key"), dir.resolve("ca.crt")), tls);
        HttpServerOptions options = tls.applyTo(new HttpServerOptions());
        assertEquals(ClientAuth.REQUIRED, options.getClientAuth(), "client certificates are required, not requested");
        assertEquals(true, options.isSsl() && options.isUseAlpn());
    }

    @Test
    void aCertificateWithoutClientRootsOrKeyIsRefused() {
        var noRoots = assertThrows(IllegalStateException.class, () -> XdsListener.adsTls(
                new Tls(Optional.of("/tls.crt"), Optional.of("/tls.key"), Optional.empty())));
        assertEquals("meshfed.xds.tls.client-ca-file is required with meshfed.xds.tls.cert-file: TLS on the ADS port"
                + " is always mutual (client certificates issued by the xDS client CA name each cluster)",
                noRoots.getMessage());
        var noKey = assertThrows(IllegalStateException.class, () -> XdsListener.adsTls(
                new Tls(Optional.of("/tls.crt"), Optional.empty(), Optional.of("/ca.crt"))));
        assertEquals(true, noKey.getMessage().startsWith("meshfed.xds.tls.key-file is required"), noKey.getMessage());
    }

    @Test
    void anUnreadableFileIsNamed(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> new AdsTls(dir.resolve("missing.crt"),
                dir.resolve("missing.key"), dir.resolve("missing-ca.crt")));
        assertEquals("TLS on the ADS port: the certificate file " + dir.resolve("missing.crt")
                + " is not a readable file", e.getMessage());
    }
}
