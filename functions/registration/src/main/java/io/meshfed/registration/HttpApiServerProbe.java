package io.meshfed.registration;

import com.fasterxml.jackson.databind.JsonNode;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.ModelJson;
import io.meshfed.registration.RejectionReason.Code;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * {@link ApiServerProbe} over HTTPS with the JDK client: trusts only the cluster's CA, verifies the host name,
 * presents the bearer token or client certificate, and gives up after {@code timeout}. Each failure mode
 * maps to its own {@link Code}. Thread-safe; builds one client per check (each cluster has its own CA), which the JDK
 * releases when it is no longer referenced.
 */
public final class HttpApiServerProbe implements ApiServerProbe {
    private final Duration timeout;

    public HttpApiServerProbe(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public Optional<RejectionReason> check(ApiServerRef apiServer, ClusterCredentials credentials) {
        SSLContext tls;
        try {
            tls = sslContext(apiServer, credentials);
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return reject(Code.API_SERVER_TLS_FAILURE, "apiServer.caData",
                    "cannot build a TLS context from the given CA/client certificate: " + e.getMessage());
        }
        HttpClient client = HttpClient.newBuilder().sslContext(tls).connectTimeout(timeout)
                .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).build();
        URI uri = URI.create(apiServer.url().replaceAll("/+$", "") + "/version");
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET()
                .header("Accept", "application/json");
        if (credentials.isToken()) {
            request.header("Authorization", "Bearer " + credentials.token());
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpConnectTimeoutException e) {
            return reject(Code.API_SERVER_UNREACHABLE, "apiServer.url",
                    "connecting to " + uri + " timed out after " + timeout.toMillis() + " ms");
        } catch (HttpTimeoutException e) {
            return reject(Code.API_SERVER_UNREACHABLE, "apiServer.url",
                    uri + " did not answer within " + timeout.toMillis() + " ms");
        } catch (SSLException e) {
            return reject(Code.API_SERVER_TLS_FAILURE, "apiServer.caData",
                    "TLS handshake with " + uri.getAuthority() + " failed: " + rootMessage(e));
        } catch (ConnectException e) {
            return reject(Code.API_SERVER_UNREACHABLE, "apiServer.url",
                    "cannot connect to " + uri.getAuthority() + ": " + rootMessage(e));
        } catch (IOException e) {
            if (hasCause(e, SSLException.class)) {
                return reject(Code.API_SERVER_TLS_FAILURE, "apiServer.caData",
                        "TLS handshake with " + uri.getAuthority() + " failed: " + rootMessage(e));
            }
            return reject(Code.API_SERVER_UNREACHABLE, "apiServer.url",
                    "request to " + uri + " failed: " + rootMessage(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return reject(Code.API_SERVER_UNREACHABLE, "apiServer.url", "interrupted while checking " + uri);
        }
        int status = response.statusCode();
        if (status == 401) {
            return reject(Code.API_SERVER_UNAUTHORIZED, "credentials",
                    uri.getAuthority() + " answered 401 Unauthorized: the credentials are not accepted");
        }
        if (status == 403) {
            return reject(Code.API_SERVER_FORBIDDEN, "credentials",
                    uri.getAuthority() + " answered 403 Forbidden: the credentials may not read /version");
        }
        if (status >= 500) {
            return reject(Code.API_SERVER_ERROR, "apiServer.url", uri.getAuthority() + " answered " + status);
        }
        if (status != 200) {
            return reject(Code.API_SERVER_UNEXPECTED_RESPONSE, "apiServer.url",
                    uri + " answered " + status + ", expected 200");
        }
        try {
            JsonNode version = ModelJson.mapper().readTree(response.body());
            if (version == null || !version.hasNonNull("gitVersion")) {
                return reject(Code.API_SERVER_UNEXPECTED_RESPONSE, "apiServer.url",
                        uri + " is not a Kubernetes API server: no gitVersion in its answer");
            }
        } catch (IOException e) {
            return reject(Code.API_SERVER_UNEXPECTED_RESPONSE, "apiServer.url",
                    uri + " is not a Kubernetes API server: its answer is not JSON");
        }
        return Optional.empty();
    }

    private static Optional<RejectionReason> reject(Code code, String field, String message) {
        return Optional.of(new RejectionReason(code, field, message));
    }

    private static SSLContext sslContext(ApiServerRef apiServer, ClusterCredentials credentials)
            throws GeneralSecurityException, IOException {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        int i = 0;
        for (Certificate ca : x509.generateCertificates(pemStream(apiServer.caPem()))) {
            trust.setCertificateEntry("ca-" + i++, ca);
        }
        if (i == 0) {
            throw new GeneralSecurityException("caData holds no certificate");
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (!credentials.isToken()) {
            Collection<? extends Certificate> chain = x509.generateCertificates(
                    pemStream(io.meshfed.model.Pem.decodeText(credentials.clientCertificate())));
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] password = new char[0];
            keys.setKeyEntry("client", privateKey(credentials.clientKey()), password, chain.toArray(new Certificate[0]));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, password);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return context;
    }

    private static PrivateKey privateKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(io.meshfed.model.Pem.decodeText(pem)))) {
            Object parsed = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (parsed instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
            if (parsed instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            throw new IOException("the client key is not an unencrypted PEM private key");
        }
    }

    private static ByteArrayInputStream pemStream(String pem) {
        return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }
}
