package io.meshfed.export;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;
import java.util.Map;

/**
 * What one read of a workload cluster's API server returned: the objects {@link ExportDiscovery} turns into
 * exported services. Raw Kubernetes objects, not yet validated.
 *
 * @param services the Services that are exported (by a ServiceExport or the {@code meshfed.io/export=true} label)
 * @param serviceExports every {@code multicluster.x-k8s.io/v1alpha1} ServiceExport (empty when the CRD is absent)
 * @param endpointSlices the EndpointSlices of those Services
 * @param pods the Pods the slices' endpoints point at, keyed {@code namespace/name}
 * @param nodes the Nodes of endpoints that carry no zone of their own, keyed by name
 */
public record WorkloadState(
        List<Service> services,
        List<GenericKubernetesResource> serviceExports,
        List<EndpointSlice> endpointSlices,
        Map<String, Pod> pods,
        Map<String, Node> nodes) {

    public WorkloadState {
        services = List.copyOf(services);
        serviceExports = List.copyOf(serviceExports);
        endpointSlices = List.copyOf(endpointSlices);
        pods = Map.copyOf(pods);
        nodes = Map.copyOf(nodes);
    }
}
