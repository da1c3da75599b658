package io.meshfed.export;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.meshfed.model.ExportedService;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.Locality;
import io.meshfed.model.ServiceEndpoint;
import io.meshfed.model.ServicePort;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns one read of a workload cluster ({@link WorkloadState}) into the services it exports. Pure and
 * deterministic: the same state gives equal services (and so an equal catalog hash), whatever the order the API
 * server listed objects in.
 *
 * <p>A service is exported when a ServiceExport names it or it carries {@code meshfed.io/export=true}. What
 * cannot be exported (a ServiceExport without its Service, an ExternalName Service, a Service whose every port
 * is SCTP, an endpoint whose address or zone breaks the model's rules) is left out and reported in
 * {@link Discovery#skipped()}, never failing the whole read: one bad object must not hide a cluster's other
 * services.
 */
public final class ExportDiscovery {
    public static final String EXPORT_LABEL = "meshfed.io/export";
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    public static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    private static final String LEGACY_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone";

    /**
     * Pod labels that change with every rollout but never select a subset. Carrying them would change the catalog's
     * hash (and push config to every cluster) on each deployment.
     */
    static final Set<String> ROLLOUT_LABELS = Set.of(
            "pod-template-hash",
            "controller-revision-hash",
            "statefulset.kubernetes.io/pod-name",
            "apps.kubernetes.io/pod-index");

    /** The outcome: exported services sorted by key, and a sorted, human-readable reason per thing left out. */
    public record Discovery(List<ExportedService> services, List<String> skipped) {
        public Discovery {
            services = List.copyOf(services);
            skipped = List.copyOf(skipped);
        }
    }

    private ExportDiscovery() {
    }

    /**
     * @param state what the cluster's API server returned
     * @param clusterLocality the registered cluster's locality: its region is every endpoint's region, its zone
     *        the fallback for endpoints whose slice and node name none
     */
    public static Discovery discover(WorkloadState state, Locality clusterLocality) {
        Objects.requireNonNull(clusterLocality, "clusterLocality");
        List<String> skipped = new ArrayList<>();
        Map<String, Service> servicesByKey = new HashMap<>();
        for (Service s : state.services()) {
            servicesByKey.put(key(s.getMetadata().getNamespace(), s.getMetadata().getName()), s);
        }

        TreeSet<String> exportedKeys = new TreeSet<>();
        for (GenericKubernetesResource export : state.serviceExports()) {
            if (export.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            String key = key(export.getMetadata().getNamespace(), export.getMetadata().getName());
            if (servicesByKey.containsKey(key)) {
                exportedKeys.add(key);
            } else {
                skipped.add(key + ": ServiceExport has no Service of the same name");
            }
        }
        for (Service s : state.services()) {
            Map<String, String> labels = s.getMetadata().getLabels();
            if (labels != null && "true".equals(labels.get(EXPORT_LABEL))) {
                exportedKeys.add(key(s.getMetadata().getNamespace(), s.getMetadata().getName()));
            }
        }

        Map<String, List<EndpointSlice>> slicesByService = new HashMap<>();
        for (EndpointSlice slice : state.endpointSlices()) {
            Map<String, String> labels = slice.getMetadata().getLabels();
            String serviceName = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
            if (serviceName != null) {
                slicesByService.computeIfAbsent(key(slice.getMetadata().getNamespace(), serviceName),
                        k -> new ArrayList<>()).add(slice);
            }
        }

        List<ExportedService> exported = new ArrayList<>();
        for (String key : exportedKeys) {
            Service service = servicesByKey.get(key);
            List<EndpointSlice> slices = slicesByService.getOrDefault(key, List.of());
            toExported(service, slices, state, clusterLocality, skipped).ifPresent(exported::add);
        }
        skipped.sort(Comparator.naturalOrder());
        return new Discovery(exported, skipped);
    }

    private static Optional<ExportedService> toExported(Service service, List<EndpointSlice> slices,
            WorkloadState state, Locality clusterLocality, List<String> skipped) {
        String namespace = service.getMetadata().getNamespace();
        String name = service.getMetadata().getName();
        String key = key(namespace, name);
        if (service.getSpec() == null || "ExternalName".equals(service.getSpec().getType())) {
            skipped.add(key + ": ExternalName Services have no endpoints to export");
            return Optional.empty();
        }
        List<ServicePort> ports = new ArrayList<>();
        List<io.fabric8.kubernetes.api.model.ServicePort> specPorts =
                service.getSpec().getPorts() == null ? List.of() : service.getSpec().getPorts();
        for (io.fabric8.kubernetes.api.model.ServicePort p : specPorts) {
            String transport = p.getProtocol() == null ? "TCP" : p.getProtocol();
            if (ProtocolSelection.UNSUPPORTED_TRANSPORTS.contains(transport.toUpperCase(Locale.ROOT))) {
                skipped.add(key + ": port " + p.getPort() + " uses " + transport + ", which meshfed cannot carry");
                continue;
            }
            String protocol = ProtocolSelection.select(transport, p.getAppProtocol(), p.getName());
            String portName = p.getName() == null || p.getName().isBlank()
                    ? protocol.toLowerCase(Locale.ROOT) + "-" + p.getPort()
                    : p.getName();
            try {
                ports.add(new ServicePort(portName, p.getPort(), protocol, targetPort(p, slices)));
            } catch (InvalidSpecException e) {
                skipped.add(key + ": port " + p.getPort() + ": " + e.getMessage());
            }
        }
        if (ports.isEmpty()) {
            skipped.add(key + ": no port meshfed can export");
            return Optional.empty();
        }
        try {
            return Optional.of(
                    new ExportedService(namespace, name, ports, endpoints(key, slices, state, clusterLocality, skipped)));
        } catch (InvalidSpecException e) {
            skipped.add(key + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The port the workloads listen on: the EndpointSlice port of the same name (Kubernetes resolves named target
     * ports there), else a numeric {@code targetPort}, else the service port itself.
     */
    private static int targetPort(io.fabric8.kubernetes.api.model.ServicePort p, List<EndpointSlice> slices) {
        String name = p.getName() == null ? "" : p.getName();
        for (EndpointSlice slice : slices) {
            if (slice.getPorts() == null) {
                continue;
            }
            for (EndpointPort ep : slice.getPorts()) {
                String epName = ep.getName() == null ? "" : ep.getName();
                if (epName.equals(name) && ep.getPort() != null) {
                    return ep.getPort();
                }
            }
        }
        IntOrString target = p.getTargetPort();
        if (target != null && target.getIntVal() != null && target.getIntVal() > 0) {
            return target.getIntVal();
        }
        return p.getPort();
    }

    private static List<ServiceEndpoint> endpoints(String serviceKey, List<EndpointSlice> slices, WorkloadState state,
            Locality clusterLocality, List<String> skipped) {
        // address -> endpoint; when slices overlap (a slice being replaced), a ready copy wins.
        Map<String, ServiceEndpoint> byAddress = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if ("FQDN".equals(slice.getAddressType()) || slice.getEndpoints() == null) {
                continue;
            }
            for (Endpoint e : slice.getEndpoints()) {
                if (e.getAddresses() == null || e.getAddresses().isEmpty()) {
                    continue;
                }
                // Consumers use the first address only (EndpointSlice API contract).
                String address = e.getAddresses().get(0);
                try {
                    ServiceEndpoint endpoint = new ServiceEndpoint(address, clusterLocality.withZone(zone(e, state)),
                            isReady(e), podLabels(slice.getMetadata().getNamespace(), e.getTargetRef(), state));
                    byAddress.merge(address, endpoint, (a, b) -> a.ready() ? a : b);
                } catch (InvalidSpecException ex) {
                    skipped.add(serviceKey + ": endpoint " + address + ": " + ex.getMessage());
                }
            }
        }
        return new ArrayList<>(byAddress.values());
    }

    /** Kubernetes: a nil {@code ready} condition means ready; terminating endpoints always report false. */
    private static boolean isReady(Endpoint e) {
        return e.getConditions() == null || e.getConditions().getReady() == null || e.getConditions().getReady();
    }

    private static String zone(Endpoint e, WorkloadState state) {
        if (e.getZone() != null && !e.getZone().isBlank()) {
            return e.getZone();
        }
        if (e.getNodeName() == null) {
            return null;
        }
        Node node = state.nodes().get(e.getNodeName());
        if (node == null || node.getMetadata().getLabels() == null) {
            return null;
        }
        Map<String, String> labels = node.getMetadata().getLabels();
        return labels.getOrDefault(ZONE_LABEL, labels.get(LEGACY_ZONE_LABEL));
    }

    private static Map<String, String> podLabels(String namespace, ObjectReference ref, WorkloadState state) {
        if (ref == null || !"Pod".equals(ref.getKind()) || ref.getName() == null) {
            return Map.of();
        }
        String podNamespace = ref.getNamespace() == null ? namespace : ref.getNamespace();
        Pod pod = state.pods().get(key(podNamespace, ref.getName()));
        if (pod == null || pod.getMetadata().getLabels() == null) {
            return Map.of();
        }
        Map<String, String> labels = new TreeMap<>(pod.getMetadata().getLabels());
        labels.keySet().removeAll(ROLLOUT_LABELS);
        return labels;
    }

    static String key(String namespace, String name) {
        return namespace + "/" + name;
    }
}
