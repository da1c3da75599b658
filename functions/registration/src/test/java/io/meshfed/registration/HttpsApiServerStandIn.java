package io.meshfed.registration;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.meshfed.testsupport.TestTls;

/**
 * A workload cluster's API server as the registration function's probe reaches it: WireMock over HTTPS only, serving
 * {@code tls}'s certificate, so tests can give the faults a real kube-apiserver cannot (401, 5xx, a wrong CA, a
 * stall). Registration's success path against a real kube-apiserver is tested in the module's
 * {@code *RealApiServerTest} classes.
 */
final class HttpsApiServerStandIn {
    private HttpsApiServerStandIn() {
    }

    /** Started; answers nothing until stubbed. */
    static WireMockServer start(TestTls tls) {
        WireMockServer server = new WireMockServer(options().httpDisabled(true).httpsPort(0)
                .keystorePath(tls.keystore().toString()).keystorePassword(TestTls.PASSWORD)
                .keyManagerPassword(TestTls.PASSWORD).keystoreType("PKCS12"));
        server.start();
        return server;
    }

    /** Started, answering the probe's {@code GET /version} as a v1.31 API server does. */
    static WireMockServer answeringVersion(TestTls tls) {
        WireMockServer server = start(tls);
        server.stubFor(get(urlEqualTo("/version")).willReturn(okJson("{\"gitVersion\":\"v1.31.2\"}")));
        return server;
    }

    static void stop(WireMockServer server) {
        if (server != null) {
            server.stop();
        }
    }
}
