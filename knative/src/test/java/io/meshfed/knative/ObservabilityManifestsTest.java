package io.meshfed.knative;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.knative.eventing.v1.Broker;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.meshfed.testsupport.peers.Peers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the manifests and charts give an operator to watch (docs/observability.md): the Broker's dead-letter sink and
 * the service behind it, the functions' and the CSR agent's probes and metrics port, and the chart values that change
 * them (deadLetters, delivery, logs.json). HelmChartsTest and InstallRealApiServerTest have the API server validate
 * and install every rendered object, the sink's Deployment and Service included.
 */
class ObservabilityManifestsTest {
    private static final String SINK = "meshfed-dead-letters";

    @TempDir
    static Path work;

    @Test
    void theBrokerSendsWhatItCannotDeliverToTheDeadLetterServiceWhichExists() {
        Broker broker = Manifests.named(Broker.class, "meshfed");
        var delivery = broker.getSpec().getDelivery();
        assertTrue(delivery.getRetry() > 0, "retries before a dead letter");
        assertEquals("exponential", delivery.getBackoffPolicy().toString().toLowerCase(java.util.Locale.ROOT));
        var ref = delivery.getDeadLetterSink().getRef();
        assertEquals("v1", ref.getApiVersion());
        assertEquals("Service", ref.getKind());
        assertEquals(SINK, ref.getName());
        assertNull(ref.getNamespace(), "the Broker's own namespace, renamed with it by the chart");

        var service = Manifests.named(io.fabric8.kubernetes.api.model.Service.class, SINK);
        Deployment deployment = Manifests.named(Deployment.class, SINK);
        assertEquals(broker.getMetadata().getNamespace(), service.getMetadata().getNamespace());
        assertEquals(broker.getMetadata().getNamespace(), deployment.getMetadata().getNamespace());
        assertTrue(deployment.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                .containsAll(service.getSpec().getSelector().entrySet()), "the Service selects the Deployment's pods");
        Container display = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(display.getPorts().get(0).getContainerPort(),
                service.getSpec().getPorts().get(0).getTargetPort().getIntVal(), "the Service reaches its port");
        assertTrue(display.getImage().contains("event_display"), display.getImage());
        var sc = display.getSecurityContext();
        assertTrue(sc.getRunAsNonRoot() && sc.getReadOnlyRootFilesystem() && !sc.getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), sc.getCapabilities().getDrop());
        assertFalse(deployment.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken(),
                "it calls no API");
        assertTrue(display.getResources().getLimits().containsKey("memory"));
    }

    @Test
    void everyFunctionIsProbedAtItsReadinessPath() {
        for (Service s : Manifests.of(Service.class)) {
            String name = s.getMetadata().getName();
            Container c = s.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertTrue(c.getReadinessProbe() != null && c.getReadinessProbe().getHttpGet() != null, name);
            String path = c.getReadinessProbe().getHttpGet().getPath();
            if (!name.equals(ManifestsTest.WORKLOAD_EVENTS)) { // its older /healthz is kept (ManifestsTest)
                assertEquals("/q/health/ready", path, name);
            }
        }
    }

    @Test
    void theCsrAgentServesMetricsAndIsReadyOnceCacertsIsInstalled() throws IOException {
        Deployment agent = null;
        for (Path f : Manifests.files(HelmChartsTest.WORKLOAD_DIR)) {
            for (Map<String, Object> d : yaml(Manifests.read(f))) {
                if ("Deployment".equals(d.get("kind"))) {
                    agent = new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
                            .convertValue(d, Deployment.class);
                }
            }
        }
        Container c = agent.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(8080, c.getPorts().get(0).getContainerPort(), "quarkus.http.port of the agent");
        String port = c.getPorts().get(0).getName();
        assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals(port, c.getReadinessProbe().getHttpGet().getPort().getStrVal());
        assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals(port, c.getLivenessProbe().getHttpGet().getPort().getStrVal());
    }

    @Test
    void chartValuesMoveTheSinkTheRetriesAndTheLogFormat() throws IOException {
        Map<String, Object> broker = broker(template(HelmChartsTest.MANAGEMENT, List.of()));
        assertEquals(Map.of("ref", Map.of("apiVersion", "v1", "kind", "Service", "name", SINK)),
                get(broker, "deadLetterSink"));

        List<Map<String, Object>> elsewhere = template(HelmChartsTest.MANAGEMENT, List.of("--set",
                "deadLetters.uri=https://dead-letters.example.org/in", "--set", "delivery.retry=2", "--set",
                "delivery.backoffDelay=PT2S"));
        Map<String, Object> moved = broker(elsewhere);
        assertEquals(Map.of("uri", "https://dead-letters.example.org/in"), get(moved, "deadLetterSink"));
        assertEquals(2, get(moved, "retry"));
        assertEquals("PT2S", get(moved, "backoffDelay"));
        assertTrue(elsewhere.stream().noneMatch(d -> SINK.equals(name(d))), "no event-display for an outside sink");

        List<Map<String, Object>> none = template(HelmChartsTest.MANAGEMENT, List.of("--set", "deadLetters.enabled=false"));
        assertNull(get(broker(none), "deadLetterSink"));
        assertTrue(none.stream().noneMatch(d -> SINK.equals(name(d))));

        List<Map<String, Object>> pinned = template(HelmChartsTest.MANAGEMENT, List.of("--set",
                "deadLetters.image=reg.example/event-display@sha256:0123", "--set", "logs.json=true", "--set",
                "components.pki.env.MESHFED_LOG_JSON=false"));
        Map<String, Object> deployment = pinned.stream().filter(d -> SINK.equals(name(d))
                && "Deployment".equals(d.get("kind"))).findFirst().orElseThrow();
        assertEquals("reg.example/event-display@sha256:0123", container(deployment).get("image"));
        Map<String, String> logJson = pinned.stream().filter(d -> "serving.knative.dev/v1".equals(d.get("apiVersion")))
                .collect(Collectors.toMap(ObservabilityManifestsTest::name, d -> env(container(d))
                        .getOrDefault("MESHFED_LOG_JSON", "unset")));
        assertEquals(Map.of("meshfed-registration", "true", "meshfed-export", "true", "meshfed-pki", "false",
                "meshfed-workload-events", "true", "meshfed-xds-bridge", "true"), logJson,
                "logs.json in every function, a component's own env wins");
        assertTrue(template(HelmChartsTest.MANAGEMENT, List.of()).stream()
                .filter(d -> "serving.knative.dev/v1".equals(d.get("apiVersion")))
                .noneMatch(d -> env(container(d)).containsKey("MESHFED_LOG_JSON")), "off by default");

        List<String> workload = new ArrayList<>(HelmChartsTest.WORKLOAD_REQUIRED);
        workload.addAll(List.of("--set", "logs.json=true"));
        Map<String, Object> agent = template(HelmChartsTest.WORKLOAD, workload).stream()
                .filter(d -> "Deployment".equals(d.get("kind"))).findFirst().orElseThrow();
        assertEquals("true", env(container(agent)).get("MESHFED_LOG_JSON"));
    }

    /**
     * tracing.otlpEndpoint and tracing.protocol become the standard OTEL_EXPORTER_OTLP_* variables of every
     * component (a component's own env wins); unset, no container gets any, so nothing exports (docs/observability.md,
     * "Traces"); the schema refuses an endpoint that is not an http(s) URL.
     */
    @Test
    void tracingValuesSetTheStandardOtlpVariables() throws Exception {
        List<Map<String, Object>> traced = template(HelmChartsTest.MANAGEMENT, List.of("--set",
                "tracing.otlpEndpoint=http://otel-collector.observability:4317", "--set", "tracing.protocol=grpc",
                "--set", "components.pki.env.OTEL_EXPORTER_OTLP_ENDPOINT=http://pki-collector:4318", "--set",
                "components.pki.env.OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"));
        Map<String, String> endpoints = traced.stream().filter(d -> "serving.knative.dev/v1".equals(d.get("apiVersion")))
                .collect(Collectors.toMap(ObservabilityManifestsTest::name, d -> env(container(d))
                        .getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "unset") + " "
                        + env(container(d)).getOrDefault("OTEL_EXPORTER_OTLP_PROTOCOL", "unset")));
        String collector = "http://otel-collector.observability:4317 grpc";
        assertEquals(Map.of("meshfed-registration", collector, "meshfed-export", collector, "meshfed-pki",
                "http://pki-collector:4318 http/protobuf", "meshfed-workload-events", collector, "meshfed-xds-bridge",
                collector), endpoints, "every component, a component's own env wins");
        assertTrue(template(HelmChartsTest.MANAGEMENT, List.of()).stream()
                .filter(d -> "serving.knative.dev/v1".equals(d.get("apiVersion")) || "Deployment".equals(d.get("kind")))
                .noneMatch(d -> env(container(d)).keySet().stream().anyMatch(k -> k.startsWith("OTEL_"))),
                "no endpoint by default: no OTEL_ variable anywhere");
        Helm.Run bad = Helm.run(work, Peers.get().binary("helm.binary"), List.of("template", "meshfed",
                HelmChartsTest.MANAGEMENT.toString(), "--set", "tracing.otlpEndpoint=otel-collector:4317"));
        assertTrue(bad.exit() != 0 && bad.output().contains("otlpEndpoint"), bad.output());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> broker(List<Map<String, Object>> docs) {
        Map<String, Object> b = docs.stream().filter(d -> "Broker".equals(d.get("kind"))).findFirst().orElseThrow();
        return (Map<String, Object>) ((Map<String, Object>) b.get("spec")).get("delivery");
    }

    private static Object get(Map<String, Object> m, String key) {
        return m.get(key);
    }

    @SuppressWarnings("unchecked")
    private static String name(Map<String, Object> d) {
        return (String) ((Map<String, Object>) d.get("metadata")).get("name");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> container(Map<String, Object> d) {
        Map<String, Object> spec = (Map<String, Object>) d.get("spec");
        Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec");
        return ((List<Map<String, Object>>) pod.get("containers")).get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> env(Map<String, Object> container) {
        List<Map<String, Object>> env = (List<Map<String, Object>>) container.getOrDefault("env", List.of());
        return env.stream().filter(e -> e.get("value") != null)
                .collect(Collectors.toMap(e -> (String) e.get("name"), e -> String.valueOf(e.get("value"))));
    }

    private static List<Map<String, Object>> template(Path chart, List<String> args) throws IOException {
        return Helm.template(work, Peers.get().binary("helm.binary"), chart, args);
    }

    private static List<Map<String, Object>> yaml(String text) {
        return Helm.yaml(text);
    }
}
