package io.meshfed.export;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builders for the workload-cluster objects tests seed: Services, EndpointSlices, Pods, Nodes, ServiceExports. */
final class Workloads {
    private Workloads() {
    }

    static io.fabric8.kubernetes.api.model.ServicePort port(String name, int port, Object targetPort, String appProtocol) {
        return new ServicePortBuilder().withName(name).withPort(port).withProtocol("TCP").withAppProtocol(appProtocol)
                .withTargetPort(targetPort instanceof Integer i ? new IntOrString(i) : new IntOrString((String) targetPort))
                .build();
    }

    static Service service(String ns, String name, boolean exportLabel, Map<String, String> selector,
            io.fabric8.kubernetes.api.model.ServicePort... ports) {
        Map<String, String> labels = new HashMap<>();
        labels.put("app", name);
        if (exportLabel) {
            labels.put(ExportDiscovery.EXPORT_LABEL, "true");
        }
        return new ServiceBuilder().withNewMetadata().withNamespace(ns).withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withType("ClusterIP").withSelector(selector).withPorts(Arrays.asList(ports)).endSpec()
                .build();
    }

    static GenericKubernetesResource serviceExport(String ns, String name) {
        return new GenericKubernetesResourceBuilder().withApiVersion(Fabric8WorkloadReader.SERVICE_EXPORT_API_VERSION)
                .withKind(Fabric8WorkloadReader.SERVICE_EXPORT_KIND)
                .withNewMetadata().withNamespace(ns).withName(name).endMetadata().build();
    }

    /** An endpoint backed by a Pod; {@code zone} null leaves it to the node. */
    static Endpoint endpoint(String address, boolean ready, String zone, String nodeName, String podNs, String pod) {
        EndpointBuilder b = new EndpointBuilder().withAddresses(address).withNewConditions().withReady(ready)
                .endConditions().withZone(zone).withNodeName(nodeName);
        if (pod != null) {
            b.withNewTargetRef().withKind("Pod").withNamespace(podNs).withName(pod).endTargetRef();
        }
        return b.build();
    }

    /** A slice of {@code service}; {@code ports} alternates name, port. */
    static EndpointSlice slice(String ns, String sliceName, String service, List<Endpoint> endpoints, Object... ports) {
        EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withNamespace(ns).withName(sliceName)
                .withLabels(Map.of(ExportDiscovery.SERVICE_NAME_LABEL, service)).endMetadata()
                .withAddressType("IPv4").withEndpoints(endpoints);
        for (int i = 0; i < ports.length; i += 2) {
            b.addToPorts(new EndpointPortBuilder().withName((String) ports[i]).withPort((Integer) ports[i + 1])
                    .withProtocol("TCP").build());
        }
        return b.build();
    }

    static Pod pod(String ns, String name, Map<String, String> labels) {
        return new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withLabels(labels).endMetadata()
                .build();
    }

    static Node node(String name, String zone) {
        return new NodeBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of(ExportDiscovery.ZONE_LABEL, zone, "kubernetes.io/hostname", name)).endMetadata()
                .build();
    }
}
