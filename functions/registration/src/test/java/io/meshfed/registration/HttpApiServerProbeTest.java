package io.meshfed.registration;

import io.meshfed.testsupport.TestTls;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.registration.RejectionReason.Code;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WireMock impersonates a workload cluster's API server over HTTPS to inject each failure mode. */
class HttpApiServerProbeTest {
    static TestTls tls;
    static TestTls otherCa;
    static WireMockServer apiServer;
    // generous for every answer that must arrive; the timeout case uses its own short-fused probe
    final HttpApiServerProbe probe = new HttpApiServerProbe(Duration.ofSeconds(20));
    static final ClusterCredentials TOKEN = ClusterCredentials.ofToken("good-token");

    @BeforeAll
    static void start() throws Exception {
        tls = TestTls.create();
        otherCa = TestTls.create();
        apiServer = new WireMockServer(options().httpDisabled(true).httpsPort(0)
                .keystorePath(tls.keystore().toString()).keystorePassword(TestTls.PASSWORD)
                .keyManagerPassword(TestTls.PASSWORD).keystoreType("PKCS12"));
        apiServer.start();
    }

    @AfterAll
    static void stop() {
        apiServer.stop();
    }

    @BeforeEach
    void reset() {
        apiServer.resetAll();
    }

    ApiServerRef ref(String caPem) {
        return new ApiServerRef("https://localhost:" + apiServer.httpsPort(), caPem, "creds");
    }

    @Test
    void kubernetesVersionAnswerPasses() {
        apiServer.stubFor(get(urlEqualTo("/version")).withHeader("Authorization",
                com.github.tomakehurst.wiremock.client.WireMock.equalTo("Bearer good-token"))
                .willReturn(okJson("{\"major\":\"1\",\"minor\":\"31\",\"gitVersion\":\"v1.31.2\"}")));
        assertEquals(Optional.empty(), probe.check(ref(tls.caPem()), TOKEN));
    }

    @Test
    void caDataAsBase64AlsoWorks() {
        apiServer.stubFor(get(urlEqualTo("/version")).willReturn(okJson("{\"gitVersion\":\"v1.31.2\"}")));
        String b64 = java.util.Base64.getEncoder().encodeToString(tls.caPem().getBytes());
        assertEquals(Optional.empty(), probe.check(ref(b64), TOKEN));
    }

    @Test
    void unauthorized() {
        apiServer.stubFor(get(urlEqualTo("/version")).willReturn(aResponse().withStatus(401)));
        assertEquals(Code.API_SERVER_UNAUTHORIZED, probe.check(ref(tls.caPem()), TOKEN).orElseThrow().code());
    }

    @Test
    void forbidden() {
        apiServer.stubFor(get(urlEqualTo("/version")).willReturn(aResponse().withStatus(403)));
        assertEquals(Code.API_SERVER_FORBIDDEN, probe.check(ref(tls.caPem()), TOKEN).orElseThrow().code());
    }

    @Test
    void serverError() {
        apiServer.stubFor(get(urlEqualTo("/version")).willReturn(aResponse().withStatus(503)));
        RejectionReason r = probe.check(ref(tls.caPem()), TOKEN).orElseThrow();
        assertEquals(Code.API_SERVER_ERROR, r.code());
        assertTrue(r.message().contains("503"), r.message());
    }

    @Test
    void untrustedCertificateIsTlsFailure() {
        apiServer.stubFor(get(urlEqualTo("/version")).willReturn(okJson("{\"gitVersion\":\"v1.31.2\"}")));
        RejectionReason r = probe.check(ref(otherCa.caPem()), TOKEN).orElseThrow();
        assertEquals(Code.API_SERVER_TLS_FAILURE, r.code(), r.message());
    }

    @Test
    void slowServerIsUnreachable() {
        apiServer.stubFor(get(urlEqualTo("/version"))
                .willReturn(okJson("{\"gitVersion\":\"v1.31.2\"}").withFixedDelay(10_000)));
        RejectionReason r = new HttpApiServerProbe(Duration.ofMillis(500)).check(ref(tls.caPem()), TOKEN).orElseThrow();
        assertEquals(Code.API_SERVER_UNREACHABLE, r.code());
        assertTrue(r.message().contains("500 ms"), r.message());
    }

    @Test
    void closedPortIsUnreachable() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RejectionReason r = probe.check(new ApiServerRef("https://localhost:" + port, tls.caPem(), "creds"), TOKEN)
                .orElseThrow();
        assertEquals(Code.API_SERVER_UNREACHABLE, r.code(), r.message());
    }

    @Test
    void somethingElseThanKubernetesIsUnexpected() {
        apiServer.stubFor(get(urlEqualTo("/version")).willReturn(okJson("{\"hello\":\"world\"}")));
        assertEquals(Code.API_SERVER_UNEXPECTED_RESPONSE, probe.check(ref(tls.caPem()), TOKEN).orElseThrow().code());
    }
}
