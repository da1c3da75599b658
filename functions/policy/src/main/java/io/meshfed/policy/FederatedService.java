package io.meshfed.policy;

import io.fabric8.istio.api.api.networking.v1alpha3.ServicePort;
import io.fabric8.istio.api.networking.v1.ServiceEntry;
import io.meshfed.federation.FederationConfig;
import io.meshfed.federation.FederationLabels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A federated service as one cluster's istiod sees it, read from that cluster's {@link FederationConfig}: the
 * cluster-set host, the clusters that export it, and its ports. Only services that have a cluster-set host are
 * policy destinations (a service whose exporters share no port number has none).
 */
record FederatedService(String namespace, String name, List<String> exporters, List<Port> ports) {
    /** Istio port protocols whose traffic is routed per request (HTTP routes apply). */
    static final Set<String> HTTP_PROTOCOLS = Set.of("HTTP", "HTTP2", "GRPC", "GRPC-WEB");

    record Port(String name, int number, String protocol) {
        boolean isHttp() {
            return HTTP_PROTOCOLS.contains(protocol);
        }
    }

    String key() {
        return namespace + "/" + name;
    }

    String host() {
        return name + "." + namespace + ".svc.clusterset.local";
    }

    static String clusterHost(String name, String namespace, String cluster) {
        return name + "." + namespace + ".svc." + cluster + ".global";
    }

    String clusterHost(String cluster) {
        return clusterHost(name, namespace, cluster);
    }

    /** Federation's object names for this service: the cluster-set one, then one per exporter. */
    String clustersetName() {
        return name + ".clusterset";
    }

    String clusterName(String cluster) {
        return name + "." + cluster + ".global";
    }

    boolean hasHttpPort() {
        return ports.stream().anyMatch(Port::isHttp);
    }

    List<Port> httpPorts() {
        return ports.stream().filter(Port::isHttp).toList();
    }

    /** Every cluster-set service of {@code config}, sorted by "namespace/name". */
    static List<FederatedService> of(FederationConfig config) {
        List<FederatedService> out = new ArrayList<>();
        for (ServiceEntry se : config.serviceEntries()) {
            Map<String, String> labels = se.getMetadata().getLabels();
            if (labels == null || !"clusterset".equals(labels.get(FederationLabels.HOST_KIND))) {
                continue;
            }
            String host = se.getSpec().getHosts().get(0);
            String name = host.substring(0, host.indexOf('.'));
            String exporters = se.getMetadata().getAnnotations().getOrDefault(FederationLabels.SOURCE_CLUSTERS, "");
            List<Port> ports = new ArrayList<>();
            for (ServicePort p : se.getSpec().getPorts()) {
                ports.add(new Port(p.getName(), p.getNumber().intValue(), p.getProtocol()));
            }
            out.add(new FederatedService(se.getMetadata().getNamespace(), name,
                    exporters.isEmpty() ? List.of() : Arrays.stream(exporters.split(",")).sorted().toList(),
                    List.copyOf(ports)));
        }
        out.sort(java.util.Comparator.comparing(FederatedService::key));
        return out;
    }
}
