package io.meshfed.export;

import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.TestTls;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.testsupport.CloudEventsClient.Answer;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.CatalogChanged;
import io.meshfed.model.ClusterCatalog;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.EventTypes;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.KubernetesCatalogStore;
import io.meshfed.store.KubernetesClusterStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Client-certificate credentials: the workload API server (WireMock over HTTPS) refuses any TLS client without a
 * certificate from its CA, so a successful sync shows the stored certificate and key were presented.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
class ClientCertificateTest {
    @Inject
    KubernetesClient management;

    @TestHTTPResource("/")
    URI root;

    @Test
    void syncsAClusterRegisteredWithAClientCertificate() throws Exception {
        TestTls tls = TestTls.create();
        WireMockServer apiServer = new WireMockServer(options().httpDisabled(true).dynamicHttpsPort()
                .keystorePath(tls.keystore().toString()).keystoreType("PKCS12")
                .keystorePassword(TestTls.PASSWORD).keyManagerPassword(TestTls.PASSWORD)
                .needClientAuth(true).trustStorePath(tls.truststore().toString()).trustStoreType("PKCS12")
                .trustStorePassword(TestTls.PASSWORD));
        apiServer.start();
        try {
            RemoteFailuresTest.servePayments(apiServer);
            ClusterCredentials credentials =
                    new ClusterCredentials(null, tls.clientCertificatePem(), tls.clientKeyPem());
            MeshCluster cluster = new MeshCluster("certauth", "net-certauth", Locality.of("us-east1"),
                    new GatewayAddress("gw.certauth.example.com", 15443), "certauth.example.org",
                    new ApiServerRef("https://localhost:" + apiServer.httpsPort(), tls.caPem(),
                            KubernetesClusterStore.credentialsSecretName("certauth", credentials)));
            new KubernetesClusterStore(management, ExportFunctionsTest.NAMESPACE).put(cluster, Optional.of(credentials));

            Answer answer = new CloudEventsClient(root).send(ExportFunctionsTest.sync("certauth"), Mode.BINARY);

            ClusterCatalog stored = new KubernetesCatalogStore(management, ExportFunctionsTest.NAMESPACE)
                    .get("certauth").orElseThrow();
            assertEquals(new ClusterCatalog(cluster.federated(), RemoteFailuresTest.payments(), 1, null, stored.lastGoodRead(),
                    null), stored);
            ExportFunctionsTest.assertReply(answer, EventTypes.CATALOG_CHANGED, "certauth",
                    new CatalogChanged("certauth", 1, stored.contentHash(), false));
        } finally {
            apiServer.stop();
        }
    }
}
