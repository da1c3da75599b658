package io.meshfed.local;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.model.GatewayAddress;
import io.meshfed.model.InvalidSpecException;
import io.meshfed.model.Locality;
import io.meshfed.model.MeshCluster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One example workload cluster: a directory with {@code cluster.yaml} (name, network, region, zone, trust domain)
 * and any number of ordinary Kubernetes YAML files (Services, ServiceExports, EndpointSlices, Pods, Nodes and the
 * east-west gateway Service). The east-west gateway address is read from that gateway Service the way Istio's
 * multi-network guide finds it: the Service labelled {@code istio=eastwestgateway}, its load-balancer ingress IP,
 * or its host name where the load balancer gives a name (as cloud load balancers do), and its {@code tls} port
 * (15443).
 *
 * <p>Immutable; {@link #load} checks everything and names the file and field to fix when something is wrong.
 */
public record ExampleCluster(Path directory, MeshCluster cluster, List<HasMetadata> objects) {
    static final String GATEWAY_LABEL = "istio";
    static final String GATEWAY_LABEL_VALUE = "eastwestgateway";

    public ExampleCluster {
        objects = List.copyOf(objects);
    }

    /** The {@code cluster.yaml} fields. */
    record ClusterFile(String name, String network, String region, String zone, String trustDomain) {
    }

    /** Every cluster directory below {@code example} (a directory holding {@code cluster.yaml}), sorted by name. */
    public static List<ExampleCluster> loadAll(Path example) {
        if (!Files.isDirectory(example)) {
            throw new ExampleException(example + " is not a directory: give an example directory such as "
                    + "examples/two-clusters");
        }
        List<ExampleCluster> clusters = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(example)) {
            for (Path dir : dirs.filter(d -> Files.isRegularFile(d.resolve("cluster.yaml"))).sorted().toList()) {
                clusters.add(load(dir));
            }
        } catch (IOException e) {
            throw new ExampleException("cannot list " + example + ": " + e.getMessage());
        }
        if (clusters.isEmpty()) {
            throw new ExampleException(example + " holds no cluster: each cluster is a sub-directory with a "
                    + "cluster.yaml (see examples/two-clusters)");
        }
        return clusters;
    }

    public static ExampleCluster load(Path dir) {
        Path file = dir.resolve("cluster.yaml");
        ClusterFile spec;
        try (InputStream in = Files.newInputStream(file)) {
            spec = Serialization.yamlMapper().readerFor(ClusterFile.class)
                    .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(in);
        } catch (IOException e) {
            throw new ExampleException(file + ": " + firstLine(e.getMessage())
                    + " (expected fields: name, network, region, zone, trustDomain)");
        }
        List<HasMetadata> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path yaml : files.filter(f -> f.toString().endsWith(".yaml") && !f.equals(file)).sorted().toList()) {
                objects.addAll(readObjects(yaml));
            }
        } catch (IOException e) {
            throw new ExampleException("cannot list " + dir + ": " + e.getMessage());
        }
        GatewayAddress gateway = gateway(dir, objects);
        MeshCluster cluster;
        try {
            cluster = new MeshCluster(spec.name(), spec.network(), new Locality(spec.region(), spec.zone()),
                    gateway, spec.trustDomain(), null);
        } catch (InvalidSpecException e) {
            throw new ExampleException(file + ": " + e.getMessage());
        }
        return new ExampleCluster(dir, cluster, objects);
    }

    private static List<HasMetadata> readObjects(Path yaml) {
        List<HasMetadata> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(yaml)) {
            Object parsed = Serialization.unmarshal(in);
            if (parsed instanceof List<?> list) {
                list.forEach(o -> out.add((HasMetadata) o));
            } else if (parsed instanceof io.fabric8.kubernetes.api.model.KubernetesList list) {
                out.addAll(list.getItems());
            } else if (parsed instanceof HasMetadata one) {
                out.add(one);
            }
        } catch (IOException | RuntimeException e) {
            throw new ExampleException(yaml + " is not Kubernetes YAML: " + firstLine(e.getMessage()));
        }
        for (HasMetadata o : out) {
            if (o.getMetadata() == null || o.getMetadata().getName() == null) {
                throw new ExampleException(yaml + ": a " + o.getKind() + " has no metadata.name");
            }
        }
        return out;
    }

    private static GatewayAddress gateway(Path dir, List<HasMetadata> objects) {
        List<Service> gateways = objects.stream().filter(Service.class::isInstance).map(Service.class::cast)
                .filter(s -> GATEWAY_LABEL_VALUE.equals(labels(s).get(GATEWAY_LABEL))).toList();
        if (gateways.size() != 1) {
            throw new ExampleException(dir + ": needs exactly one Service labelled " + GATEWAY_LABEL + "="
                    + GATEWAY_LABEL_VALUE + " (the east-west gateway), found " + gateways.size());
        }
        Service gw = gateways.get(0);
        String where = dir + ": east-west gateway Service " + gw.getMetadata().getName();
        List<LoadBalancerIngress> ingress = gw.getStatus() == null || gw.getStatus().getLoadBalancer() == null
                ? List.of() : gw.getStatus().getLoadBalancer().getIngress();
        if (ingress == null || ingress.isEmpty()
                || (ingress.get(0).getIp() == null && ingress.get(0).getHostname() == null)) {
            throw new ExampleException(where + " has neither status.loadBalancer.ingress[0].ip nor .hostname");
        }
        String address = ingress.get(0).getIp() != null ? ingress.get(0).getIp() : ingress.get(0).getHostname();
        int port = gw.getSpec().getPorts().stream().filter(p -> "tls".equals(p.getName())).mapToInt(p -> p.getPort())
                .findFirst().orElseThrow(() -> new ExampleException(where + " has no port named tls (15443)"));
        try {
            return new GatewayAddress(address, port);
        } catch (InvalidSpecException e) {
            throw new ExampleException(where + ": " + e.getMessage());
        }
    }

    private static Map<String, String> labels(HasMetadata o) {
        return o.getMetadata().getLabels() == null ? Map.of() : o.getMetadata().getLabels();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
