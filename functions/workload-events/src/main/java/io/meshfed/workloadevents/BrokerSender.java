package io.meshfed.workloadevents;

import io.cloudevents.CloudEvent;
import io.cloudevents.http.HttpMessageFactory;
import io.meshfed.model.EventFailure;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Posts an admitted event to the management cluster's Broker under this function's own identity: a projected
 * service-account token for the Broker's audience, read afresh for every post (the kubelet rotates it). The
 * Broker's EventPolicy admits this identity for exactly the export syncs {@link WorkloadEventGate} makes.
 * Thread-safe.
 */
public final class BrokerSender {
    private final URI broker;
    private final Path tokenFile;
    private final HttpClient http;
    private final Duration timeout;

    /**
     * @param tokenFile the token to present; null posts without one
     * @param caFile PEM bundle of the CA(s) of the Broker ingress's TLS certificate (Knative Eventing's own CA under
     *     {@code transport-encryption: strict}); null, or a file that does not exist, trusts the JVM's default CAs
     */
    public BrokerSender(URI broker, Path tokenFile, Path caFile, Duration timeout) {
        this.broker = broker;
        this.tokenFile = tokenFile;
        this.timeout = timeout;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
        if (caFile != null && Files.exists(caFile)) {
            builder.sslContext(trusting(caFile));
        }
        this.http = builder.build();
    }

    private static javax.net.ssl.SSLContext trusting(Path caFile) {
        try (var in = Files.newInputStream(caFile)) {
            java.security.KeyStore roots = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            roots.load(null, null);
            int i = 0;
            for (var certificate : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                roots.setCertificateEntry("broker-ca-" + i++, certificate);
            }
            if (i == 0) {
                throw new IllegalArgumentException("the Broker CA file " + caFile + " holds no certificate");
            }
            javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            trust.init(roots);
            javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            return tls;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException("the Broker CA file " + caFile + " is not a PEM bundle of certificates: "
                    + e.getMessage(), e);
        }
    }

    /**
     * Posts {@code event} in binary mode, with its trace extension also as the {@code traceparent} and
     * {@code tracestate} headers a tracing Broker ingress reads.
     *
     * @throws EventFailure UNAVAILABLE when the Broker does not take it (the sender of the workload event retries)
     */
    public void send(CloudEvent event) {
        HttpRequest.Builder request = HttpRequest.newBuilder(broker).timeout(timeout);
        if (tokenFile != null) {
            try {
                request.header("Authorization", "Bearer " + Files.readString(tokenFile).trim());
            } catch (IOException e) {
                throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "cannot read this function's Broker"
                        + " token " + tokenFile + ": " + e.getClass().getSimpleName(), e);
            }
        }
        for (String name : new String[] {"traceparent", "tracestate"}) {
            if (event.getExtension(name) != null) {
                request.header(name, event.getExtension(name).toString());
            }
        }
        byte[][] body = new byte[1][];
        HttpMessageFactory.createWriter(request::header, b -> body[0] = b).writeBinary(event);
        request.POST(body[0] == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body[0]));
        HttpResponse<Void> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "the Broker at " + broker
                    + " cannot be reached: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "interrupted posting to the Broker", e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new EventFailure(EventFailure.Kind.UNAVAILABLE, "broker", "the Broker at " + broker + " answered "
                    + response.statusCode() + " to the export sync of " + event.getSubject());
        }
    }
}
