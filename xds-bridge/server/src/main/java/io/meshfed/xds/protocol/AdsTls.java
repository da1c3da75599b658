package io.meshfed.xds.protocol;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS on the ADS port, always mutual: the bridge's certificate and key, and the roots (meshfed's) every client
 * certificate must chain to. The handshake itself refuses a client without a certificate or with one from another
 * CA; {@link ClusterIdentifier} then reads the cluster from the verified certificate. There is deliberately no
 * server-only mode: a TLS client without a certificate would have nothing but its own claims to name its cluster.
 *
 * @param certFile PEM certificate chain of the bridge (leaf first)
 * @param keyFile PEM private key of {@code certFile}'s leaf
 * @param clientCaFile PEM bundle of the roots client certificates must chain to
 */
public record AdsTls(Path certFile, Path keyFile, Path clientCaFile) {
    public AdsTls {
        require(certFile, "the certificate file");
        require(keyFile, "the key file");
        require(clientCaFile, "the client CA file (the roots client certificates must chain to)");
    }

    private static void require(Path file, String what) {
        if (file == null) {
            throw new IllegalArgumentException("TLS on the ADS port needs " + what);
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException("TLS on the ADS port: " + what + " " + file + " is not a readable file");
        }
    }

    /** The certificates of {@link #clientCaFile}: a client certificate must be issued by one of them directly. */
    public java.util.List<java.security.cert.X509Certificate> clientCas() {
        try (var in = Files.newInputStream(clientCaFile)) {
            var certificates = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in);
            java.util.List<java.security.cert.X509Certificate> out = new java.util.ArrayList<>();
            for (var c : certificates) {
                out.add((java.security.cert.X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("TLS on the ADS port: the client CA file " + clientCaFile
                        + " holds no certificate");
            }
            return out;
        } catch (java.io.IOException | java.security.cert.CertificateException e) {
            throw new IllegalArgumentException("TLS on the ADS port: the client CA file " + clientCaFile
                    + " is not a PEM bundle of certificates: " + e.getMessage(), e);
        }
    }

    /** {@code options} with TLS (ALPN h2) on and client certificates required and verified. */
    public HttpServerOptions applyTo(HttpServerOptions options) {
        return options.setSsl(true).setUseAlpn(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certFile.toString()).setKeyPath(keyFile.toString()))
                .setTrustOptions(new PemTrustOptions().addCertPath(clientCaFile.toString()))
                .setClientAuth(ClientAuth.REQUIRED);
    }
}
