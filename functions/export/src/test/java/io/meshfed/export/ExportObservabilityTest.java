package io.meshfed.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshfed.model.ApiServerRef;
import io.meshfed.model.ClusterCredentials;
import io.meshfed.model.EventTypes;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import io.meshfed.store.KubernetesClusterStore;
import io.meshfed.testsupport.CloudEventsClient;
import io.meshfed.testsupport.CloudEventsClient.Answer;
import io.meshfed.testsupport.CloudEventsClient.Mode;
import io.meshfed.testsupport.ManagementClusterResource;
import io.meshfed.testsupport.MetricsScrape;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The export function's series on {@code GET /metrics} (docs/observability.md), moved by syncs sent with the
 * CloudEvents SDK against fabric8's mock API servers: a completed sync per cluster, a failed one per cluster and
 * reason (a workload API server that refuses connections: {@code unreachable}), and the events by outcome.
 */
@QuarkusTest
@QuarkusTestResource(ManagementClusterResource.class)
class ExportObservabilityTest {
    private static final String SYNC = EventTypes.SERVICE_EXPORT_SYNC;

    @Inject
    KubernetesClient management;

    @TestHTTPResource("/")
    URI root;

    @Test
    void syncsFailuresByReasonAndEventsByOutcomeAreCounted() throws Exception {
        KubernetesClusterStore clusters = new KubernetesClusterStore(management, "meshfed");
        CloudEventsClient events = new CloudEventsClient(root);
        try (WorkloadCluster south = new WorkloadCluster()) {
            ExportFunctionsTest.seedShop(south);
            register(clusters, "obs-south", south.url(), south.caPem());
            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort(); // nothing listens there once closed
            }
            register(clusters, "obs-gone", "https://127.0.0.1:" + closed, south.caPem());

            MetricsScrape before = MetricsScrape.of(root);
            Answer changed = events.send(ExportFunctionsTest.sync("obs-south"), Mode.BINARY);
            assertEquals(200, changed.status(), changed.bodyText());
            Answer unchanged = events.send(ExportFunctionsTest.sync("obs-south"), Mode.STRUCTURED);
            assertEquals(204, unchanged.status(), unchanged.bodyText());
            Answer failed = events.send(ExportFunctionsTest.sync("obs-gone"), Mode.BINARY);
            assertEquals(200, failed.status(), failed.bodyText());
            assertEquals(EventTypes.SERVICE_EXPORT_FAILED, failed.event().getType());
            Answer noCluster = events.send(ExportFunctionsTest.event(SYNC, null, null), Mode.BINARY);
            assertEquals(400, noCluster.status(), noCluster.bodyText());
            MetricsScrape after = MetricsScrape.of(root);

            assertEquals(2, delta(before, after, "meshfed_export_syncs_total", Map.of("cluster", "obs-south")),
                    "a sync that changed the catalog and one that did not both completed: " + after);
            assertEquals(0, delta(before, after, "meshfed_export_syncs_total", Map.of("cluster", "obs-gone")));
            assertEquals(1, delta(before, after, "meshfed_export_failures_total",
                    Map.of("cluster", "obs-gone", "reason", FailureReason.UNREACHABLE.wireName())), after.toString());
            assertEquals(0, after.samples().stream().filter(s -> s.name().equals("meshfed_export_failures_total")
                    && s.labels().get("cluster").equals("obs-south")).count(), "no failure series for south");
            assertEquals(3, delta(before, after, "meshfed_events_total",
                    Map.of("function", "export", "type", SYNC, "outcome", "ok")), after.toString());
            assertEquals(1, delta(before, after, "meshfed_events_total",
                    Map.of("function", "export", "type", SYNC, "outcome", "refused")), after.toString());
            assertEquals(4, delta(before, after, "meshfed_event_seconds_count",
                    Map.of("function", "export", "type", SYNC)), after.toString());
        }
    }

    private static void register(KubernetesClusterStore clusters, String name, String url, String caPem) {
        ClusterCredentials credentials = ClusterCredentials.ofToken("token-of-" + name);
        clusters.put(new MeshCluster(name, "net-" + name, Locality.of("us-east1"), new GatewayAddress("192.0.2.40",
                15443), name + ".example.org", new ApiServerRef(url, caPem,
                KubernetesClusterStore.credentialsSecretName(name, credentials))), Optional.of(credentials));
    }

    private static double delta(MetricsScrape before, MetricsScrape after, String name, Map<String, String> labels) {
        return after.value(name, labels) - before.value(name, labels);
    }
}
